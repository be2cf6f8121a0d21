/**
 * Coverage-guided fuzzing of the SIP parser and stream framer (Jazzer.js, fuzz/parser/): 20 s of
 * libFuzzer with a fixed seed. Any exception — the parser must answer with its typed result — fails
 * the run and libFuzzer prints the input. fuzz/parser/jazzer.sh explains how its addon is made to load.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import path from 'node:path';

t.test('Jazzer.js: 20 s on the parser and framer, no exception', async (t) => {
  const script = path.join(__dirname, '..', '..', 'fuzz', 'parser', 'jazzer.sh');
  const child = spawn('bash', [script, '20', '7'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => void (out = (out + d.toString()).slice(-20_000)));
  child.stderr.on('data', (d: Buffer) => void (out = (out + d.toString()).slice(-20_000)));
  const kill = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(kill);
  const runs = Number(/stat::number_of_executed_units:\s+(\d+)/.exec(out)?.[1] ?? /Done (\d+) runs/.exec(out)?.[1] ?? 0);
  // jazzer.sh sets a per-input timeout longer than the run, so libFuzzer's SIGALRM (which under
  // Jazzer.js can kill the process, exit 142) should not fire; if it still ends the process after the
  // "DONE" line and final stats, that run finished. A crash prints neither.
  const finished = /\bDONE\s+cov:|Done \d+ runs/.test(out) && /stat::number_of_executed_units/.test(out) && !/==\d+==\s*ERROR|Uncaught|crash-[0-9a-f]/i.test(out);
  t.ok(code === 0 || (code === 142 && finished), `jazzer finished cleanly (exit ${code})${code === 0 || finished ? '' : `:\n${out.slice(-4000)}`}`);
  t.ok(runs > 10_000, `${runs} inputs tried`);
  t.match(out, /stat::new_units_added:\s+[1-9]/, 'coverage guided: new inputs were added to the corpus');
});

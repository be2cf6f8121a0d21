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
  // The verdict lines (final stats, DONE, any error) are kept whole, wherever they come: after its
  // final stats libFuzzer prints a recommended dictionary that can be longer than the tail kept for
  // the failure message (seen in a full run: the stats had scrolled out of a 20,000-character tail).
  let out = '';
  let partial = '';
  const verdict: string[] = [];
  const take = (d: Buffer): void => {
    const text = d.toString();
    out = (out + text).slice(-20_000);
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) if (/stat::|Done \d+ runs|\bDONE\b|ERROR|Uncaught|crash-/.test(l)) verdict.push(l);
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const kill = setTimeout(() => child.kill('SIGKILL'), 120_000);
  // 'close', not 'exit': the process can exit before the last of its output has been read.
  const code = await new Promise<number | null>((resolve) => child.on('close', (c: number | null) => resolve(c)));
  clearTimeout(kill);
  if (partial) take(Buffer.from('\n'));
  const seen = verdict.join('\n');
  const runs = Number(/stat::number_of_executed_units:\s+(\d+)/.exec(seen)?.[1] ?? /Done (\d+) runs/.exec(seen)?.[1] ?? 0);
  // jazzer.sh sets a per-input timeout longer than the run, so libFuzzer's SIGALRM (which under
  // Jazzer.js can kill the process, exit 142) should not fire; if it still ends the process after the
  // "DONE" line and final stats, that run finished. A crash prints neither.
  const finished = /\bDONE\s+cov:|Done \d+ runs/.test(seen) && /stat::number_of_executed_units/.test(seen) && !/==\d+==\s*ERROR|Uncaught|crash-[0-9a-f]/i.test(seen);
  t.ok(code === 0 || (code === 142 && finished), `jazzer finished cleanly (exit ${code})${code === 0 || finished ? '' : `:\n${out.slice(-4000)}`}`);
  t.ok(runs > 10_000, `${runs} inputs tried`);
  t.match(seen, /stat::new_units_added:\s+[1-9]/, 'coverage guided: new inputs were added to the corpus');
});

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
  // What the verdict needs is read from libFuzzer's own progress lines as they stream: "#N NEW …"
  // each time an input added coverage, "#N DONE …" when the time was up (N = inputs run), and any
  // error. Not from its final stats: it prints them after a recommended dictionary that can outgrow
  // any tail kept, and in two full runs (CPU shared with another test) the process exited 0 after
  // DONE without printing them at all.
  let out = '';
  let done: string | undefined;
  let newUnits = 0;
  const errors: string[] = [];
  const line = (l: string): void => {
    if (/^#\d+\s+NEW\b/.test(l)) newUnits++;
    else if (/^#\d+\s+DONE\b/.test(l)) done = l;
    else if (/==\d+==\s*ERROR|Uncaught|crash-[0-9a-f]/i.test(l)) errors.push(l);
  };
  // One line buffer per stream, so a line split across chunks is never mixed with the other stream's.
  const reader = (): { take(d: Buffer): void; end(): void } => {
    let partial = '';
    return {
      take: (d) => {
        const text = d.toString();
        out = (out + text).slice(-20_000);
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        lines.forEach(line);
      },
      end: () => {
        if (partial) line(partial);
      },
    };
  };
  const stdout = reader();
  const stderr = reader();
  child.stdout.on('data', stdout.take);
  child.stderr.on('data', stderr.take);
  const kill = setTimeout(() => child.kill('SIGKILL'), 120_000);
  // 'close', not 'exit': the process can exit before the last of its output has been read.
  const code = await new Promise<number | null>((resolve) => child.on('close', (c: number | null) => resolve(c)));
  clearTimeout(kill);
  stdout.end();
  stderr.end();
  const runs = Number(/^#(\d+)/.exec(done ?? '')?.[1] ?? 0);
  // jazzer.sh sets a per-input timeout longer than the run, so libFuzzer's SIGALRM (which under
  // Jazzer.js can kill the process, exit 142) should not fire; if it still ends the process after
  // the DONE line, that run finished. A crash prints no DONE line, and an error line.
  const finished = done !== undefined && errors.length === 0;
  t.ok((code === 0 || code === 142) && finished, `jazzer finished cleanly (exit ${code}${done ? '' : ', no DONE line'}${errors.length ? `, ${errors[0]}` : ''})${finished ? '' : `:\n${out.slice(-4000)}`}`);
  t.ok(runs > 10_000, `${runs} inputs tried`);
  t.ok(newUnits > 0, `coverage guided: ${newUnits} inputs added to the corpus for new coverage`);
});

/**
 * The default log destination batches lines (src/observability/logger.ts): a lone line must still
 * reach stdout within about LOG_FLUSH_MS — an alarm line ("carrier down") may not wait for 4 KiB of
 * company — and lines logged just before process.exit must not be lost. Checked on a real child
 * process writing to a pipe.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { LOG_FLUSH_MS } from '../../src/observability/logger';

const LOGGER = path.join(__dirname, '..', '..', 'src', 'observability', 'logger.ts');

interface Seen { msg: string; atMs: number }

/** Run `body` (JS with `logger` in scope) in a child; every JSON line it writes, with when it arrived. */
function run(body: string): Promise<{ lines: Seen[]; code: number | null; startedAt: number }> {
  const code = `const { createLogger } = require(${JSON.stringify(LOGGER)}); const logger = createLogger({ level: 'info' }); process.stdout.write(''); ${body}`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Seen[] = [];
  let startedAt = 0;
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i !== -1; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const m = JSON.parse(line) as { msg: string; t0?: number };
      if (m.msg === 'start') startedAt = Date.now();
      lines.push({ msg: m.msg, atMs: Date.now() });
    }
  });
  return new Promise((resolve) => child.on('close', (c) => resolve({ lines, code: c, startedAt })));
}

t.test('a lone line reaches stdout within the flush interval, long before the process ends', async (t) => {
  // 'start' is written synchronously-ish by an explicit flush, then 'alarm' alone; the child lives 3 s more.
  const r = await run(`logger.info('start'); logger.flush(); setTimeout(() => { logger.warn('alarm'); setTimeout(() => process.exit(0), 3000); }, 500);`);
  const start = r.lines.find((l) => l.msg === 'start');
  const alarm = r.lines.find((l) => l.msg === 'alarm');
  t.ok(start && alarm, 'both lines written');
  const delay = alarm!.atMs - start!.atMs - 500;
  t.ok(delay < LOG_FLUSH_MS + 400, `the alarm line arrived ${delay} ms after it was logged (flush interval ${LOG_FLUSH_MS} ms), not at exit`);
  t.equal(r.code, 0);
});

t.test('lines logged right before process.exit are written', async (t) => {
  const r = await run(`for (let i = 0; i < 50; i++) logger.info('line ' + i); logger.error('last words'); process.exit(3);`);
  t.equal(r.lines.length, 51, 'all 51 lines');
  t.equal(r.lines.at(-1)?.msg, 'last words');
  t.equal(r.code, 3);
});

/** The IVR's command line and its JSON summary (pure). */
import t from 'tap';
import { parseIvrArgs } from '../../src/sim/ivr/cli-args';
import { parseCliArgs, USAGE } from '../../src/sim/cli-args';
import { percentile, summarise } from '../../src/sim/ivr/summary';
import type { IvrCallResult } from '../../src/sim/ivr';

t.test('IVR CLI: the documented example parses; defaults; errors collected', async (t) => {
  const r = parseIvrArgs(['--target', '127.0.0.1:5060', '--calls', '20', '--concurrent', '20', '--hold-ms', '10000', '--rtp-drop', '5']);
  t.ok(r.ok);
  if (r.ok) t.match(r.options, { target: '127.0.0.1:5060', calls: 20, concurrent: 20, holdMs: 10_000, rtpDrop: 5, perCall: false });
  const d = parseIvrArgs([]);
  t.ok(d.ok && d.options.calls === 1 && d.options.localAddress === '127.0.0.1');
  const bad = parseIvrArgs(['--target', 'nohost', '--calls', '0', '--rtp-drop', '101', '--frob', 'x', '--seed']);
  t.notOk(bad.ok);
  if (!bad.ok) {
    t.equal(bad.errors.length, 5);
    t.match(bad.errors.join('\n'), /--target "nohost" is not HOST:PORT/);
    t.match(bad.errors.join('\n'), /--calls "0" must be an integer 1–/);
    t.match(bad.errors.join('\n'), /--rtp-drop "101" must be a number 0–100/);
    t.match(bad.errors.join('\n'), /unknown option --frob/);
    t.match(bad.errors.join('\n'), /--seed needs a value/);
  }
  const eq = parseIvrArgs(['--hold-ms=0', '--per-call', '--seed=7']);
  t.ok(eq.ok && eq.options.holdMs === 0 && eq.options.perCall && eq.options.seed === 7);
});

const result = (o: Partial<IvrCallResult>): IvrCallResult => ({
  callId: 'x', status: 200, setupMs: 10, endedBy: 'ivr-bye', byeStatus: 200, rtpSent: 100, rtpDropped: 0, rtpReceived: 95, rtpExpected: 100,
  rtpLost: 5, rtpTailLost: 0, rtpDuplicates: 0, rtpJitterMs: 1, rtpMaxGapMs: 40, ...o,
});

t.test('summary: statuses, setup percentiles, RTP totals and loss %', async (t) => {
  t.equal(percentile([1, 2, 3, 4], 50), 2);
  t.equal(percentile([1, 2, 3, 4], 95), 4);
  t.equal(percentile([], 50), 0);
  const s = summarise([result({}), result({ setupMs: 30, rtpJitterMs: 4 }), result({ status: 486, endedBy: 'rejected', setupMs: 5, rtpSent: 0, rtpReceived: 0, rtpExpected: 0, rtpLost: 0 })]);
  t.same(s.byStatus, { 200: 2, 486: 1 });
  t.same(s.byEnd, { 'ivr-bye': 2, rejected: 1 });
  t.same(s.setupMs, { p50: 10, p95: 30, max: 30 });
  t.match(s.rtp, { sent: 200, received: 190, expected: 200, lost: 10, lossPercent: 5, maxJitterMs: 4 });
  t.equal(summarise([]).setupMs, null);
});

t.test('sim CLI: --rtp-ports and rtp keys in --set', async (t) => {
  const r = parseCliArgs(['--rtp-ports', '30000-30999', '--set', 'carrier-a:rtp=echo,rtpDropPercent=5']);
  t.ok(r.ok);
  if (r.ok) {
    t.same(r.options.rtpPorts, { min: 30000, max: 30999 });
    t.same(r.options.sets, [{ id: 'carrier-a', patch: { rtp: 'echo', rtpDropPercent: 5 } }]);
  }
  const bad = parseCliArgs(['--rtp-ports', '30000', '--rtp-ports', '1000-1100']);
  t.notOk(bad.ok);
  if (!bad.ok) t.match(bad.errors.join('\n'), /is not MIN-MAX[\s\S]*1024–65535/);
  t.match(USAGE, /rtp \(off\|echo\|send\), rtpDropPercent, rtpJitterMs/);
});

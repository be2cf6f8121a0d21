/**
 * The readable API shapes: one line per carrier (the signal that hurts most, the reason when not
 * active, the ASR window), the JSON with one carrier per line, and /events with ISO times and the
 * score that caused a change (null when something else did).
 */
import t from 'tap';
import { carrierSummary, summary, summaryJson, summaryText } from '../../src/admin/summary';
import { apiEvent, mergeEvents, OperatorLog } from '../../src/admin/events';
import type { CarrierReading } from '../../src/history/types';

const reading = (over: Partial<CarrierReading>): CarrierReading => ({
  id: 'carrier-a', state: 'active', score: 1, callsUp: 2, attempts: 0, answered: 0, failed: 0, retried: 0, setup: { le: [], counts: [] }, probeRttMs: 5, rtpLoss: null, ...over,
});
const win = { windowS: 300, attempts: 40, answered: 38, failed: 2, retried: 2, asr: 0.95, cps: 0.13, setupP95Ms: 80 };

t.test('carrier summary: the signal that hurts most, the reason only when not active', async (t) => {
  const signals = [
    { name: 'probeLoss', value: 0.05, unit: 'ratio', factor: 0.83 },
    { name: 'rtt', value: 400, unit: 'ms', factor: 0.9 },
    { name: 'pdd', value: 100, unit: 'ms', factor: 1 },
  ];
  const a = carrierSummary({ reading: reading({ state: 'degraded', score: 0.6 }), window: win, since: '2026-01-01T00:00:00.000Z', reason: 'score 0.60 under degradedBelow', signals });
  t.same(a.hurts, { signal: 'probeLoss', value: 0.05, unit: 'ratio', factor: 0.83 });
  t.equal(a.reason, 'score 0.60 under degradedBelow');
  t.same(a.asr, { windowS: 300, ratio: 0.95, answered: 38, seizures: 40 });
  const b = carrierSummary({ reading: reading({}), window: win, since: null, reason: 'old reason', signals: [{ name: 'pdd', value: 1, unit: 'ms', factor: 1 }] });
  t.equal(b.hurts, null, 'nothing below factor 1: nothing hurts');
  t.equal(b.reason, null, 'an active carrier needs no reason');

  const s = summary(Date.parse('2026-01-01T00:05:00Z'), false, [a, b], { windowS: 300, answered: 100, failed: 1, cancelled: 0 });
  t.equal(s.inService, 2);
  t.equal(s.callsUp, 4);
  const json = summaryJson(s);
  t.same(JSON.parse(json).carriers.length, 2, 'valid JSON');
  t.equal(json.trim().split('\n').length, 4, 'head, one line per carrier, close');
  const text = summaryText(s, '127.0.0.1:8080');
  t.match(text, /calls failed to the IVR in the last 5 min: 1 \(answered 100\)/);
  t.match(text, /carrier-a\s+DEGRADED\s+2026-01-01T00:00:00Z \(5m0s\)\s+0\.60\s+probeLoss 5\.0 % ×0\.83\s+2\s+95\.0 % \(38\/40\)\s+2 \(2\)/);
  t.match(text, /ASR 5 MIN/);
  t.match(text, /why:\n {2}carrier-a: score 0\.60 under degradedBelow/);
});

t.test('events: ISO times, the causing score, operator actions merged in order', async (t) => {
  const down = apiEvent({ kind: 'state', at: Date.parse('2026-01-01T10:00:00Z'), carrier: 'c', from: 'active', to: 'down', reason: 'no response at all to 3 INVITEs', score: 1 });
  t.same([down.at, down.atMs, down.score, down.scoreAtChange], ['2026-01-01T10:00:00.000Z', Date.parse('2026-01-01T10:00:00Z'), null, 1], 'not caused by the score: score null');
  const degraded = apiEvent({ kind: 'state', at: 0, carrier: 'c', from: 'active', to: 'degraded', reason: 'score 0.42 under degradedBelow 0.7 for 3 evaluations', score: 0.42 });
  t.equal(degraded.score, 0.42, 'caused by the score: that score');
  const ops = new OperatorLog();
  ops.add({ kind: 'operator', at: 5, carrier: 'd', action: 'drain', to: 'drained', reason: 'drain by the operator' });
  const merged = mergeEvents([{ kind: 'state', at: 10, carrier: 'c', from: 'active', to: 'down', reason: 'x', score: 1 }, { kind: 'local-fault-raised', at: 1, carriers: ['a'], reason: 'y' }], ops.all());
  t.same(merged.map((e) => e.atMs), [1, 5, 10]);
  t.equal(ops.last('d')?.action, 'drain');
  t.equal(ops.all('c').length, 0);
});

/**
 * The flood guard's decisions (src/engine/transport/flood-guard.ts) with the gate's counter driven by
 * hand and a real dgram socket: attach past the rate, stay while the sampled rate (× the sample) is
 * high, detach after the hold time below half the rate; and when the kernel refuses the filter (here:
 * a socket not bound yet, so no descriptor), one warning, no exception, the gate alone.
 */
import t, { type Test } from 'tap';
import dgram from 'node:dgram';
import { FloodGuard } from '../../src/engine/transport/flood-guard';
import { SourceAdmission } from '../../src/engine/transport/admission';
import { GATE, GATE_SLOTS } from '../../src/engine/transport/gate';
import { silentLogger, type EngineLogger } from '../../src/engine/logger';
import { unavailable } from '../../src/engine/transport/socket-filter';

const limits = { foreignFloodRate: 1000, foreignFloodSample: 64, foreignFloodHoldMs: 5000 };

function recorder(): { logger: EngineLogger; warns: string[] } {
  const warns: string[] = [];
  return { warns, logger: { ...silentLogger, warn: (_o: object, msg?: string) => void warns.push(msg ?? '') } };
}

/** A guard on a bound socket (so the kernel accepts the filter), its counters, and the states it reported. */
async function boundGuard(t: Test): Promise<{ g: FloodGuard; counters: Float64Array; admission: SourceAdmission; states: boolean[] }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  t.teardown(() => socket.close());
  const counters = new Float64Array(GATE_SLOTS);
  const admission = new SourceAdmission(silentLogger, { allow: ['127.0.0.1/32'] });
  const states: boolean[] = [];
  const g = new FloodGuard(socket, admission, limits, counters, silentLogger, 0, (on) => void states.push(on));
  return { g, counters, admission, states };
}

t.test('the kernel refuses the filter (unbound socket): one warning, nothing thrown, nothing attached', async (t) => {
  const socket = dgram.createSocket('udp4');
  t.teardown(() => socket.close());
  const counters = new Float64Array(GATE_SLOTS);
  const admission = new SourceAdmission(silentLogger, { allow: ['127.0.0.1/32'] });
  const states: boolean[] = [];
  const { logger, warns } = recorder();
  const g = new FloodGuard(socket, admission, limits, counters, logger, 0, (on) => void states.push(on));
  for (let s = 1; s <= 3; s++) {
    counters[GATE.refusedForeign]! += 5000;
    t.doesNotThrow(() => g.tick(s * 1000));
  }
  t.equal(warns.length, 1, 'warned once');
  t.same(states, [], 'never attached');
  admission.stop();
});

t.test('attach, hold, detach — driven by the counter', { skip: unavailable() }, async (t) => {
  const { g, counters, admission, states } = await boundGuard(t);
  counters[GATE.refusedForeign]! += 900;
  g.tick(1000);
  t.same(states, [], '900/s: below the rate');
  counters[GATE.refusedForeign]! += 1200;
  g.tick(2000);
  t.same(states, [true], '1,200/s: attached');
  counters[GATE.refusedForeign]! += 10; // 10 × 64 = 640/s estimated: above half the rate
  g.tick(3000);
  for (let s = 4; s <= 8; s++) g.tick(s * 1000);
  t.same(states, [true], 'quiet for 5 s (from 4 s): not yet');
  g.tick(9000);
  t.same(states, [true, false], 'quiet for the hold time: detached');
  admission.set(undefined);
  counters[GATE.refusedForeign]! += 5000;
  g.tick(10_000);
  t.same(states, [true, false], 'every source admitted: never attached');
  admission.stop();
});

t.test('a burst is judged at once: attached when the rate\'s worth of refusals has come, not at the next tick', { skip: unavailable() }, async (t) => {
  const { g, counters, admission, states } = await boundGuard(t);
  counters[GATE.refusedForeign]! += 999;
  g.refused(100);
  t.same(states, [], '999 refused: not yet');
  counters[GATE.refusedForeign]! += 1;
  g.refused(150);
  t.same(states, [true], 'the 1,000th, 150 ms in: attached then');
  counters[GATE.refusedForeign]! += 5000;
  g.refused(200);
  t.same(states, [true], 'attached: refusals change nothing');
  admission.stop();
});

t.test('an early judgement is still a rate: 1,000 refusals spread over 2.5 s do not attach', { skip: unavailable() }, async (t) => {
  const { g, counters, admission, states } = await boundGuard(t);
  counters[GATE.refusedForeign]! += 1000; // the periodic tick was late (a busy thread): 400/s
  g.refused(2500);
  t.same(states, [], '400/s: not attached');
  counters[GATE.refusedForeign]! += 999;
  g.refused(2600);
  t.same(states, [], 'the count starts again from that judgement');
  admission.stop();
});

/**
 * `npm run ivr` counts the loss a user sees: packets missing after the last one received (tail loss)
 * are lost too. Real IVR and simulator carriers over loopback UDP; the carrier's media path goes dead
 * half-way through the calls (as when the simulator stops under a running call).
 */
import t from 'tap';
import { startSimulator, type BehaviourPatch } from '../../src/sim';
import { startIvr } from '../../src/sim/ivr';
import { summarise } from '../../src/sim/ivr/summary';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function withCarrier(behaviour: BehaviourPatch) {
  const sim = await startSimulator({ carriers: [{ id: 'c', host: '127.0.0.1', port: 0, transport: 'udp' as const, behaviour }], seed: 5 });
  const ivr = await startIvr({ target: `127.0.0.1:${sim.get('c').port}`, localAddress: '127.0.0.1', seed: 9 });
  return { sim, ivr, stop: async () => { await ivr.stop(); await sim.stop(); } };
}

for (const rtp of ['echo', 'send'] as const) {
  t.test(`${rtp}: the far end stops sending half-way — the missing tail is counted as lost`, async (t) => {
    const s = await withCarrier({ rtp });
    t.teardown(s.stop);
    const calls = Array.from({ length: 5 }, () => s.ivr.call({ to: '+4930123', holdMs: 2000 }));
    await sleep(1000);
    s.sim.set('c', { rtpDropPercent: 100 });
    const rs = await Promise.all(calls);
    const sum = summarise(rs);
    t.equal(sum.byStatus['200'], 5, 'five calls answered');
    t.comment(`${rtp}: received ${sum.rtp.received}, expected ${sum.rtp.expected}, lost ${sum.rtp.lost} (${sum.rtp.lossPercent} %)`);
    t.ok(sum.rtp.received > 150 && sum.rtp.received < 350, `about half came back (${sum.rtp.received} of ~500)`);
    t.ok(sum.rtp.lossPercent > 35 && sum.rtp.lossPercent < 65, `loss about 50 % (${sum.rtp.lossPercent} %)`);
    t.ok(rs.every((r) => r.rtpLost >= 30), 'every call shows its tail as lost');
  });

  t.test(`${rtp}: a clean call has no tail loss`, async (t) => {
    const s = await withCarrier({ rtp });
    t.teardown(s.stop);
    const rs = await Promise.all(Array.from({ length: 5 }, () => s.ivr.call({ to: '+4930123', holdMs: 1500 })));
    const sum = summarise(rs);
    t.comment(`${rtp}: received ${sum.rtp.received}, expected ${sum.rtp.expected}, lost ${sum.rtp.lost}`);
    t.ok(sum.rtp.received > 300, 'RTP came back');
    t.ok(sum.rtp.lost <= 2, `at most a packet or two in flight at hang-up counted (${sum.rtp.lost})`);
  });
}

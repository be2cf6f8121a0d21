/**
 * fuzz/findings.md #8, reduced: re-INVITEs relayed across the edge's bridge while the far leg refuses
 * them or hangs up. Each subtest sets up one call between a scripted caller and a scripted carrier
 * (fuzz/peer.ts) on the running edge of fuzz-replay.test.ts, plays one race, and checks that every
 * re-INVITE got a final response in seconds — the fuzz run found them in Proceeding for ever.
 */
import t, { type Test } from 'tap';
import type { Link, OnMessage, UdpSource } from '../../fuzz/net';
import { ack, answer, answered, finalTo, inDialog, invite, Mailbox, request, statusOf, type Leg, type Received } from '../../fuzz/peer';

export interface RaceWorld {
  caller(): UdpSource;
  edgePort(): number;
  /** Route what the edge sends the caller and the carrier to these handlers (undefined: back to the replay's). */
  listen(onCaller: OnMessage | undefined, onCarrier: OnMessage | undefined): void;
}

interface Call {
  caller: Leg;
  carrier: Leg;
}

/** Seconds a relayed re-INVITE may take to be answered (the bug: never; the far leg's timer B: 32 s). */
const PROMPT_MS = 4000;

export function dialogRaces(w: RaceWorld): void {
  const callerBox = new Mailbox();
  const carrierBox = new Mailbox();
  let n = 0;

  /** INVITE → 200 (carrier) → 200 → ACK; both legs as the peers see them. */
  async function connect(t: Test): Promise<Call | undefined> {
    callerBox.clear();
    carrierBox.clear();
    w.listen(callerBox.onMessage, carrierBox.onMessage);
    const caller = w.caller();
    const { leg, bytes } = invite(caller, `sip:+4911100001@127.0.0.1:${w.edgePort()}`, `race-${++n}-${Date.now()}`);
    caller.send(bytes);
    const inv = await carrierBox.take(request('INVITE'));
    if (!inv) return void t.fail('the INVITE reached the carrier');
    const a = answer(inv, 200, 'OK');
    inv.link.send(a.bytes);
    const ok = await callerBox.take(finalTo('INVITE', 1));
    if (!ok || statusOf(ok.d) !== 200 || !a.leg) return void t.fail(`the call was answered (${ok?.d.start ?? 'nothing'})`);
    answered(leg, ok.d);
    caller.send(ack(leg, ok.d, ''));
    if (!(await carrierBox.take(request('ACK')))) return void t.fail('the ACK reached the carrier');
    return { caller: leg, carrier: a.leg };
  }

  /** Answer a request the edge sent (BYE, re-INVITE) on the link it came by. */
  const reply = (r: Received, status: number, reason: string): void => r.link.send(answer(r, status, reason).bytes);

  /** `leg` sends a re-INVITE; the other side must see it relayed. */
  async function reinvite(t: Test, leg: Leg, send: Link, otherBox: Mailbox): Promise<{ seq: number; branch: string; relayed: Received | undefined }> {
    const r = inDialog(leg, 'INVITE');
    send.send(r.bytes);
    const relayed = await otherBox.take(request('INVITE'), PROMPT_MS);
    t.ok(relayed, 're-INVITE relayed to the other leg');
    return { seq: r.seq, branch: r.branch, relayed };
  }

  /** `leg` hangs up; the edge answers it and BYEs the other side, which answers 200. */
  async function hangUp(t: Test, leg: Leg, send: Link, myBox: Mailbox, otherBox: Mailbox): Promise<void> {
    const bye = inDialog(leg, 'BYE');
    send.send(bye.bytes);
    const ok = await myBox.take(finalTo('BYE', bye.seq));
    t.equal(ok && statusOf(ok.d), 200, 'BYE answered 200');
    const relayed = await otherBox.take(request('BYE'));
    t.ok(relayed, 'the edge hung up the other leg');
    if (relayed) reply(relayed, 200, 'OK');
  }

  /** A re-INVITE of one side refused by the other, then a second one: each must be relayed and answered. */
  const refusedThenAgain = (from: 'caller' | 'carrier') => async (t: Test): Promise<void> => {
    const c = await connect(t);
    if (!c) return;
    const [leg, box, otherBox] = from === 'caller' ? [c.caller, callerBox, carrierBox] : [c.carrier, carrierBox, callerBox];
    const link = from === 'caller' ? w.caller() : c.carrier.link;
    const first = await reinvite(t, leg, link, otherBox);
    if (first.relayed) reply(first.relayed, 488, 'Not Acceptable Here');
    const f1 = await box.take(finalTo('INVITE', first.seq), PROMPT_MS);
    t.ok(f1 && statusOf(f1.d) >= 300, `the refused re-INVITE is refused to ${from} (${f1?.d.start ?? 'no answer'})`);
    if (f1) link.send(ack(leg, f1.d, first.branch));
    const second = await reinvite(t, leg, link, otherBox);
    if (second.relayed) reply(second.relayed, 200, 'OK');
    const f2 = await box.take(finalTo('INVITE', second.seq), PROMPT_MS);
    t.equal(f2 && statusOf(f2.d), 200, `the next re-INVITE of the ${from} is answered 200 within ${PROMPT_MS} ms (${f2?.d.start ?? 'no answer'})`);
    if (f2) link.send(ack(leg, f2.d, second.branch));
    await hangUp(t, leg, link, box, otherBox);
  };

  /** One side's re-INVITE waits at the other, which hangs up instead of answering it. */
  const hungUpWhileRelayed = (from: 'caller' | 'carrier') => async (t: Test): Promise<void> => {
    const c = await connect(t);
    if (!c) return;
    const [leg, box, otherLeg, otherBox] = from === 'caller' ? [c.caller, callerBox, c.carrier, carrierBox] : [c.carrier, carrierBox, c.caller, callerBox];
    const link = from === 'caller' ? w.caller() : c.carrier.link;
    const otherLink = from === 'caller' ? c.carrier.link : w.caller();
    const r = await reinvite(t, leg, link, otherBox);
    // The other side never answers the relayed re-INVITE: it hangs up.
    const bye = inDialog(otherLeg, 'BYE');
    otherLink.send(bye.bytes);
    const byeOk = await otherBox.take(finalTo('BYE', bye.seq));
    t.equal(byeOk && statusOf(byeOk.d), 200, 'the hang-up is answered 200');
    const edgeBye = await box.take(request('BYE'));
    t.ok(edgeBye, `the edge hangs up the ${from}`);
    if (edgeBye) reply(edgeBye, 200, 'OK');
    const f = await box.take(finalTo('INVITE', r.seq), PROMPT_MS);
    t.ok(f && statusOf(f.d) >= 300 && statusOf(f.d) !== 500, `the ${from}'s re-INVITE got a final response within ${PROMPT_MS} ms (${f?.d.start ?? 'none'})`);
    if (f) link.send(ack(leg, f.d, r.branch));
  };

  t.test('dialog race: caller re-INVITE refused by the carrier, then another', refusedThenAgain('caller'));
  t.test('dialog race: carrier re-INVITE refused by the caller, then another', refusedThenAgain('carrier'));
  t.test('dialog race: caller re-INVITE waiting at the carrier when the carrier hangs up', hungUpWhileRelayed('caller'));
  t.test('dialog race: carrier re-INVITE waiting at the caller when the caller hangs up', hungUpWhileRelayed('carrier'));
  t.test('dialog races done: peers handed back', async () => w.listen(undefined, undefined));
}

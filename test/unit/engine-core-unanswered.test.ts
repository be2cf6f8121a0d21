/**
 * A non-INVITE request the application never answers (drachtio-srf leaves an UPDATE it cannot route
 * unanswered; fuzz/findings.md #8): the server transaction ends silently 64·T1 after it began, when
 * the client's timer F has fired — no late 408 (RFC 4320 §4.1). Answered ones are unaffected.
 */
import t from 'tap';
import { CoreHarness, peerRequest } from '../helpers/engine-core-harness';

for (const method of ['UPDATE', 'MESSAGE', 'INFO']) {
  t.test(`${method} never answered by the app: gone after 64·T1, nothing sent for it`, async (t) => {
    const h = new CoreHarness();
    h.receive(peerRequest({ method, callId: `u-${method}`, ...(method === 'MESSAGE' ? { body: 'hi', extra: ['Content-Type: text/plain'] } : {}) }));
    t.match(h.app.lastSip().sip, new RegExp(`^${method} `), 'reached the app');
    t.equal(h.counts().server, 1);
    const sent = h.sent.length;
    h.clock.advance(64 * 500 - 1);
    t.equal(h.counts().server, 1, 'still open just before 64·T1');
    h.clock.advance(1);
    t.same(h.counts(), { dialogs: 0, server: 0, client: 0 }, 'ended at 64·T1');
    t.equal(h.sent.length, sent, 'no response sent for it (RFC 4320: no late 408)');
  });
}

t.test('answered in time: completed as usual, timer J then ends it', async (t) => {
  const h = new CoreHarness();
  h.receive(peerRequest({ method: 'INFO', callId: 'i-ok' }));
  const txn = h.app.lastSip().tokens[8]!;
  h.appSip(txn, '', 'SIP/2.0 200 OK\r\n\r\n');
  await h.flush();
  t.equal(h.responses().at(-1)?.status, 200);
  h.clock.advance(64 * 500);
  t.same(h.counts(), { dialogs: 0, server: 0, client: 0 });
});

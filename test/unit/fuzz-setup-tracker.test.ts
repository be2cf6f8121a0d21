/**
 * fuzz/findings.md #18: after a fuzz run, with every call over, the edge's heap still held ~400
 * finished calls (srf Request/Response, CallMedia, relay sessions and their sockets), all retained
 * by the drain's SetupTracker: a response left it only when the set next grew past its prune
 * threshold (≥ 1,024, doubled under load). With drachtio-srf's real Response, a call leaves the
 * tracker when its final is sent, so the tracker returns to its size when the traffic ends.
 */
import t from 'tap';
import { SetupTracker, type SetupResponse } from '../../src/admin/drain';

// drachtio-srf's own Response class (lib/response.js), with an agent that accepts what it is given.
const SrfResponse = require('drachtio-srf/lib/response') as new (agent: { sendResponse(): void }) => SetupResponse & { send(status: number): void };

t.test('finished calls leave the setup tracker as their final is sent; unanswered ones stay counted', async (t) => {
  const s = new SetupTracker();
  const agent = { sendResponse: (): void => undefined };
  const rs = Array.from({ length: 500 }, () => new SrfResponse(agent));
  for (const r of rs) s.add(r);
  t.equal(s.held, 500);
  for (const r of rs.slice(0, 200)) r.send(180);
  t.equal(s.held, 500, 'a provisional is not a final');
  for (const r of rs.slice(0, 490)) r.send(200);
  t.equal(s.held, 10, 'answered calls are no longer held (failed before: 500)');
  t.equal(s.count(), 10, 'still in setup: 10');
  for (const r of rs.slice(490)) r.send(486);
  t.equal(s.held, 0, 'back to 0 when the traffic ends');
});

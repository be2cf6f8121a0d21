/**
 * The srf adapter: the one place trunkwise calls drachtio-srf, written against what srf does
 * (node_modules/drachtio-srf/lib/srf.js, request.js), not against its type file, which differs:
 *  - createUAC's progress callback `cbRequest` is called `(err)` when the INVITE could not be sent
 *    and `(null, req)` once it was; the type file says `(req)`. Reading `req` from the first
 *    argument gets `null` and loses the only handle that can CANCEL the attempt.
 *  - `srf.request(uri, { method, headers }, cb)` calls `cb(err, req)` with the sent request, whose
 *    'response' event carries the answer; the type file declares a different argument list.
 *  - `req.cancel(cb)` throws when the request was not sent by the application.
 *  - a carrier's 200 whose Contact (or another dialog header) is present but unusable — e.g.
 *    `Contact: ` with no value — makes srf's Dialog constructor throw a plain Error with no SIP
 *    status ("header 'Contact' not available in SIP message …") after it has ACKed the 200. That is
 *    the carrier's broken answer, not trunkwise's failure: it is rejected here as a 502 Bad Gateway
 *    (RFC 3261 §16.7: an unusable response from the next hop), so crankback and health see it.
 *  - an INVITE routed to the edge's own SIP address is refused by the stack before it is sent
 *    ("can not send request to myself"): that is a routing loop, rejected here as 482.
 * test/integration/srf-port.test.ts proves each against the embedded engine and SIPp;
 * fuzz/cases/carrier-200-empty-contact.json replays the broken 200.
 */
import type Srf from 'drachtio-srf';
import type { CallSipPort, SentInvite, UacProgress } from '../call/sip-port';
import type { ProbeTransport, SentProbe } from '../health/prober';

/** srf.request as lib/srf.js implements it (the type file declares another argument list). */
type RealRequest = (uri: string, opts: { method: string; headers: Record<string, string> }, cb: (err: Error | null, req?: SentProbe) => void) => unknown;

function isRealRequest(f: unknown): f is RealRequest {
  return typeof f === 'function';
}

export class SrfPort implements CallSipPort, ProbeTransport {
  constructor(readonly srf: Srf) {}

  createUac(uri: string, opts: Srf.CreateUACOptions, progress: UacProgress): Promise<Srf.Dialog> {
    let sent = false;
    return this.srf.createUAC(uri, opts, {
      // Real call: cbRequest(err) or cbRequest(null, req). The optional second parameter keeps this
      // assignable to the type file's `(req) => void` without a cast.
      cbRequest: (err: unknown, req?: Srf.SrfRequest) => {
        if (err || !req) return;
        sent = true;
        progress.onSent(sentInvite(req));
      },
      cbProvisional: (res: Srf.SrfResponse) => progress.onProvisional(res),
    }).catch((err: unknown) => {
      throw sent ? answerError(err) : refusalError(err);
    });
  }

  createUas(req: Srf.SrfRequest, res: Srf.SrfResponse, opts: Srf.CreateUASOptions): Promise<Srf.Dialog> {
    return this.srf.createUAS(req, res, opts);
  }

  /** An out-of-dialog request (OPTIONS probes): `cb(err)` or `cb(null, sent)`; the answer arrives on sent's 'response'. */
  request(uri: string, opts: { method: string; headers: Record<string, string> }, cb: (err: Error | null, req?: SentProbe) => void): void {
    const fn: unknown = this.srf.request;
    if (!isRealRequest(fn)) throw new TypeError('drachtio-srf has no request()');
    fn.call(this.srf, uri, opts, cb);
  }
}

/** srf's own words when a header of the answer cannot be read (lib/sip-parser/message.js). */
const UNREADABLE_ANSWER = /not available in SIP message|error creating dialog/i;

/** A carrier's 2xx srf could not turn into a dialog becomes the 502 it is; anything else passes unchanged. */
export function answerError(err: unknown): unknown {
  if (!(err instanceof Error) || typeof (err as { status?: unknown }).status === 'number') return err;
  // srf's own header parser throws a TypeError on some values (`Contact: ;` → "Cannot read properties
  // of undefined"): after the INVITE was sent, that too is the carrier's answer srf could not read.
  if (!UNREADABLE_ANSWER.test(err.message) && !(err instanceof TypeError)) return err;
  return Object.assign(new Error(`carrier's answer unusable: ${err.message}`), { status: 502, reason: 'Bad Gateway (unusable answer)' });
}

/**
 * The SIP stack's refusal to send the INVITE to one of its own addresses (drachtio-server and the
 * embedded engine both say "can not send request to myself"): the route leads back into this edge,
 * a loop, answered 482 Loop Detected (RFC 3261 §16.3 step 4) instead of an internal failure.
 */
const SENT_TO_MYSELF = /can not send request to myself/i;

export function refusalError(err: unknown): unknown {
  if (!(err instanceof Error) || !SENT_TO_MYSELF.test(err.message)) return err;
  return Object.assign(new Error(`routing loop: ${err.message}`), { status: 482, reason: 'Loop Detected' });
}

function sentInvite(req: Srf.SrfRequest): SentInvite {
  let cancelled = false;
  return {
    cancel: () => {
      if (cancelled) return;
      cancelled = true;
      try {
        // request.js: cancel(opts, callback) with opts optional; the error (e.g. the INVITE already
        // completed) is expected in a race with the final response and needs no action.
        req.cancel(() => undefined);
      } catch {
        /* not cancellable (already final): nothing to do */
      }
    },
  };
}

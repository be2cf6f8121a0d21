/**
 * The smallest drachtio-srf B2BUA (srf.createB2BUA): every INVITE goes to one fixed target, BYE and
 * re-INVITE are passed across, OPTIONS answered 200. Used by the engine's integration tests and the
 * engine benchmark; it touches only drachtio-srf's public API, so it runs unchanged against the
 * embedded engine or a real drachtio-server.
 */
import type { Socket } from 'node:net';
import Srf from 'drachtio-srf';
import { connectSrf } from '../../src/app/srf-connect';

export interface MinimalB2bua {
  srf: Srf;
  stats: { invites: number; connected: number; failed: number; reinvites: number };
  stop(): void;
}

export interface MinimalB2buaOptions {
  host: string;
  port: number;
  secret: string;
  /** SIP URI the B leg is sent to, e.g. sip:127.0.0.1:5090;transport=tcp. */
  target: string;
  /** An in-process wire link (SipEngine.connectLocal()) instead of TCP to host:port. */
  local?: Socket;
}

export async function startMinimalB2bua(opts: MinimalB2buaOptions): Promise<MinimalB2bua> {
  const srf = new Srf();
  const stats = { invites: 0, connected: 0, failed: 0, reinvites: 0 };

  srf.use('options', (_req: Srf.SrfRequest, res: Srf.SrfResponse) => {
    res.send(200);
  });

  srf.invite((req: Srf.SrfRequest, res: Srf.SrfResponse) => {
    stats.invites++;
    const user = /^sips?:([^@;>]+)@/.exec(req.uri)?.[1];
    const uri = user ? opts.target.replace(/^sip:/, `sip:${user}@`) : opts.target;
    srf.createB2BUA(req, res, uri, { proxyRequestHeaders: ['X-Test'] })
      .then(({ uas, uac }) => {
        stats.connected++;
        // The callback form: a BYE that fails (dialog already gone) must not become an unhandled rejection.
        uas.on('destroy', () => uac.destroy({ headers: {} }, () => undefined));
        uac.on('destroy', () => uas.destroy({ headers: {} }, () => undefined));
        // srf emits 'destroy' once, when the BYE arrives: a caller that hangs up as soon as it has
        // the 200 (before this continuation runs) ended its leg before anyone listened; the other leg
        // is ended here, as src/call/bridge.ts does (Dialog#connected is not in srf's type file).
        if (Reflect.get(uas, 'connected') === false) uac.destroy({ headers: {} }, () => undefined);
        else if (Reflect.get(uac, 'connected') === false) uas.destroy({ headers: {} }, () => undefined);
        uas.on('modify', (mreq: Srf.SrfRequest, mres: Srf.SrfResponse) => {
          stats.reinvites++;
          uac.modify(mreq.body).then((sdp: string) => mres.send(200, { body: sdp }), () => mres.send(500));
        });
        uac.on('modify', (mreq: Srf.SrfRequest, mres: Srf.SrfResponse) => {
          stats.reinvites++;
          uas.modify(mreq.body).then((sdp: string) => mres.send(200, { body: sdp }), () => mres.send(500));
        });
      })
      .catch(() => {
        stats.failed++;
      });
  });

  await connectSrf(srf, opts);
  return { srf, stats, stop: () => srf.disconnect() };
}


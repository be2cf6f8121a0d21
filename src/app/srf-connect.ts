/** srf.connect reports through events: 'connect' (err, hostport) once authenticated, 'error' on socket failure. */
import net from 'node:net';
import type Srf from 'drachtio-srf';

export interface SrfConnectOptions {
  host: string;
  port: number;
  secret: string;
  /**
   * Embedded mode: one end of the engine's in-process wire link (SipEngine.connectLocal()). srf
   * speaks the same drachtio protocol over it as over TCP; host:port is still where srf reconnects
   * if the link ever closes.
   */
  local?: net.Socket;
}

export function connectSrf(srf: Srf, opts: SrfConnectOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    srf.once('error', onError);
    srf.once('connect', (err: Error | null, hostport: string) => {
      srf.off('error', onError);
      srf.on('error', () => undefined); // reconnects are srf's business; an unhandled 'error' would throw
      if (!err) return resolve(hostport);
      // Refused (e.g. wrong secret): stop srf from reconnecting forever in the background.
      try {
        srf.disconnect();
      } catch {
        /* already closed */
      }
      reject(err);
    });
    const connect = (): void => void srf.connect({ host: opts.host, port: opts.port, secret: opts.secret });
    if (opts.local) withConnectReturning(opts.local, connect);
    else connect();
  });
}

/**
 * drachtio-srf opens its connection with `net.connect({ host, port })` and takes no stream, so for
 * the one synchronous srf.connect() call net.connect hands back the in-process link instead; it is
 * restored before anything else runs (srf's later reconnects use real TCP).
 */
function withConnectReturning(socket: net.Socket, fn: () => void): void {
  const mod: { connect: typeof net.connect } = net;
  const real = mod.connect;
  mod.connect = ((): net.Socket => socket) as typeof net.connect;
  try {
    fn();
  } finally {
    mod.connect = real;
  }
}

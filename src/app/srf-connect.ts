/** srf.connect reports through events: 'connect' (err, hostport) once authenticated, 'error' on socket failure. */
import type Srf from 'drachtio-srf';

export function connectSrf(srf: Srf, opts: { host: string; port: number; secret: string }): Promise<string> {
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
    srf.connect({ host: opts.host, port: opts.port, secret: opts.secret });
  });
}

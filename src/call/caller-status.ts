/**
 * The status to send the caller for a carrier's failure. drachtio-srf's Response#send throws for a
 * code missing from its table (sip-status: e.g. 299, 699, 599), which turned a carrier's unusual but
 * valid final into our own 500 (found by the fuzzer, fuzz/cases/carrier-final-699.json). RFC 3261
 * §8.1.3.2: an unrecognised final response is treated as the x00 of its class, so that is what we relay.
 */
import { createRequire } from 'node:module';

const known: Readonly<Record<string, string>> = createRequire(require.resolve('drachtio-srf'))('sip-status') as Record<string, string>;

export function callerStatus(status: number): number {
  const cls = Math.floor(status / 100);
  // A 2xx only fails when drachtio-srf could not use it (not 200, or no Contact): the carrier's fault.
  if (cls === 2) return 502;
  if (Number.isInteger(status) && String(status) in known) return status;
  return cls >= 3 && cls <= 6 ? cls * 100 : 500;
}

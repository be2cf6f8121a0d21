/**
 * Admission (the first stage of the INVITE pipeline): only the IVR platform's addresses may place
 * calls (403 otherwise, and nothing is kept), and new calls are rate-limited globally and per source
 * (503 with Retry-After) so a runaway IVR cannot swamp the carriers.
 */
import { cidrContains, parseCidr, parseIp, type Cidr } from '../routing';
import { WindowCounter } from '../common/window-counter';

export type AdmissionResult = { ok: true } | { ok: false; status: 403 | 503; reason: 'source-forbidden' | 'cps-limit'; retryAfter?: number };

export interface AdmissionOptions {
  allow: readonly string[];
  maxCps: number;
  maxCpsPerSource: number;
}

export class Admission {
  private readonly cidrs: Cidr[];
  private readonly global = new WindowCounter();
  private readonly perSource = new Map<string, WindowCounter>();

  constructor(private readonly opts: AdmissionOptions) {
    this.cidrs = opts.allow.map((c) => {
      const r = parseCidr(c);
      if (!r.ok) throw new Error(`--allow / TRUNKWISE_ALLOW: "${c}" is not a CIDR (${r.reason}); write e.g. 10.0.0.0/8 or 2001:db8::/32`);
      return r.cidr;
    });
  }

  check(source: string, now: number): AdmissionResult {
    const allowed = this.source(source);
    return allowed.ok ? this.rate(source, now) : allowed;
  }

  /** The allowlist alone (digest authentication, when on, runs between this and the rate limit). */
  source(source: string): AdmissionResult {
    const ip = parseIp(source);
    if (!ip || !this.cidrs.some((c) => cidrContains(c, ip))) return { ok: false, status: 403, reason: 'source-forbidden' };
    return { ok: true };
  }

  /** The global and per-source CPS limits; counts the call when admitted. */
  rate(source: string, now: number): AdmissionResult {
    let src = this.perSource.get(source);
    if (!src) {
      if (this.perSource.size > 10_000) this.perSource.clear();
      src = new WindowCounter();
      this.perSource.set(source, src);
    }
    if (this.global.count(now) >= this.opts.maxCps || src.count(now) >= this.opts.maxCpsPerSource) {
      return { ok: false, status: 503, reason: 'cps-limit', retryAfter: 1 };
    }
    this.global.add(now);
    src.add(now);
    return { ok: true };
  }

  /** Calls admitted in the last second (the global CPS gauge). */
  cps(now: number): number {
    return this.global.count(now);
  }
}

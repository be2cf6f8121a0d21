/**
 * Admission before cost: which source addresses may send requests at all. The application gives the
 * allowed set (the IVR's CIDRs and every carrier's address; carriers send BYE, re-INVITE, OPTIONS
 * too) and replaces it on reload. A request from anywhere else is refused in the transport layer —
 * 403 or silently dropped — before it is parsed into a transaction or crosses to the application.
 *
 * Matching uses node's net.BlockList; verdicts are cached per address (the check runs for every
 * datagram, also during a flood). Host names in the list are resolved (all A/AAAA) and re-resolved
 * every minute; until a name resolves, its addresses are foreign.
 */
import dns from 'node:dns/promises';
import net from 'node:net';
import type { EngineLogger } from '../logger';
import type { FilterNet } from './bpf-program';

export type ForeignAction = 'reject' | 'drop';

export interface AdmissionOptions {
  /** CIDRs (10.0.0.0/8, 2001:db8::/32), addresses, or host names. */
  allow: readonly string[];
  /** What a request from outside the list gets: a stateless 403 (rate-limited) or nothing. Default reject. */
  foreign?: ForeignAction;
}

export class AllowlistError extends Error {
  readonly code = 'E_ENGINE_ALLOWLIST_INVALID';
  constructor(entry: string, why: string) {
    super(`allowlist entry "${entry}": ${why}; write a CIDR (10.0.0.0/8, 2001:db8::/32), an address or a host name`);
  }
}

type Entry = { kind: 'subnet'; net: string; prefix: number; family: 'ipv4' | 'ipv6' } | { kind: 'address'; address: string; family: 'ipv4' | 'ipv6' } | { kind: 'name'; name: string };

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const CACHE_MAX = 65_536;
const RESOLVE_EVERY_MS = 60_000;

function familyOf(address: string): 'ipv4' | 'ipv6' | undefined {
  const v = net.isIP(address);
  return v === 4 ? 'ipv4' : v === 6 ? 'ipv6' : undefined;
}

export function parseAllowEntry(raw: string): Entry {
  const s = raw.trim().replace(/^\[|\]$/g, '');
  const slash = s.indexOf('/');
  if (slash !== -1) {
    const base = s.slice(0, slash);
    const bits = s.slice(slash + 1);
    const family = familyOf(base);
    if (!family) throw new AllowlistError(raw, 'not an IP network');
    const prefix = Number(bits);
    if (!/^\d{1,3}$/.test(bits) || prefix > (family === 'ipv4' ? 32 : 128)) throw new AllowlistError(raw, 'bad prefix length');
    return { kind: 'subnet', net: base, prefix, family };
  }
  const family = familyOf(s);
  if (family) return { kind: 'address', address: s, family };
  if (HOSTNAME.test(s)) return { kind: 'name', name: s.replace(/\.$/, '').toLowerCase() };
  throw new AllowlistError(raw, 'neither an address, a network nor a host name');
}

/** `::ffff:192.0.2.1` (a dual-stack socket's view of an IPv4 peer) is matched as 192.0.2.1. */
function normalise(address: string): string {
  return address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

export class SourceAdmission {
  private entries: Entry[] | undefined;
  private raw: readonly string[] | undefined;
  private list: net.BlockList | undefined;
  private resolved = new Map<string, string[]>();
  private readonly cache = new Map<string, boolean>();
  private timer: NodeJS.Timeout | undefined;
  private generation = 0;
  private nets: FilterNet[] | undefined;
  /** Called after the effective set changed (set(), or a host name resolved differently). */
  onChange: (() => void) | undefined;

  private foreignAction: ForeignAction;

  constructor(private readonly logger: EngineLogger, opts: AdmissionOptions | undefined) {
    this.foreignAction = opts?.foreign ?? 'reject';
    if (opts) this.set(opts.allow);
  }

  /** The list as given (undefined: admit all), e.g. to hand to another thread. */
  get allowList(): readonly string[] | undefined {
    return this.raw;
  }

  /** false when no allowlist is configured: every source is admitted (drachtio-server's behaviour). */
  get enabled(): boolean {
    return this.entries !== undefined;
  }

  get foreign(): ForeignAction {
    return this.foreignAction;
  }

  setForeignAction(a: ForeignAction): void {
    this.foreignAction = a;
  }

  /** Replace the allowed set (atomically: an invalid entry throws and the old set stays); undefined = admit all. */
  set(allow: readonly string[] | undefined): void {
    const entries = allow?.map(parseAllowEntry);
    this.entries = entries;
    this.raw = allow ? [...allow] : undefined;
    this.generation++;
    this.resolved = new Map([...this.resolved].filter(([name]) => entries?.some((e) => e.kind === 'name' && e.name === name)));
    this.rebuild();
    const names = entries?.filter((e) => e.kind === 'name').length ?? 0;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (names > 0) {
      void this.resolveNames();
      this.timer = setInterval(() => void this.resolveNames(), RESOLVE_EVERY_MS);
      this.timer.unref();
    }
  }

  isAllowed(address: string): boolean {
    if (!this.list) return true;
    const hit = this.cache.get(address);
    if (hit !== undefined) return hit;
    const a = normalise(address);
    const family = familyOf(a);
    const ok = family !== undefined && this.list.check(a, family);
    if (this.cache.size >= CACHE_MAX) this.cache.clear(); // bounded; a spread of sources only costs re-checks
    this.cache.set(address, ok);
    return ok;
  }

  /** The effective networks (names as resolved now), for a kernel socket filter; undefined = admit all. */
  networks(): readonly FilterNet[] | undefined {
    return this.nets;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private rebuild(): void {
    this.cache.clear();
    if (!this.entries) {
      this.list = undefined;
      this.nets = undefined;
      this.onChange?.();
      return;
    }
    const list = new net.BlockList();
    const nets: FilterNet[] = [];
    const add = (address: string): void => {
      const a = normalise(address);
      const f = familyOf(a);
      if (!f) return;
      list.addAddress(a, f);
      nets.push({ family: f, address: a, prefix: f === 'ipv4' ? 32 : 128 });
    };
    for (const e of this.entries) {
      if (e.kind === 'subnet') {
        list.addSubnet(e.net, e.prefix, e.family);
        nets.push({ family: e.family, address: e.net, prefix: e.prefix });
      } else if (e.kind === 'address') add(e.address);
      else for (const a of this.resolved.get(e.name) ?? []) add(a);
    }
    this.list = list;
    this.nets = nets;
    this.onChange?.();
  }

  private async resolveNames(): Promise<void> {
    const gen = this.generation;
    const names = (this.entries ?? []).flatMap((e) => (e.kind === 'name' ? [e.name] : []));
    const results = await Promise.all(names.map(async (name) => {
      try {
        return [name, (await dns.lookup(name, { all: true })).map((r) => r.address)] as const;
      } catch (err) {
        this.logger.warn({ name, err: (err as Error).message }, 'allowlist host name does not resolve; its addresses stay foreign');
        return [name, this.resolved.get(name) ?? []] as const;
      }
    }));
    if (gen !== this.generation) return; // the list was replaced meanwhile
    const next = new Map(results.map(([n, a]) => [n, [...a]]));
    const same = names.every((n) => (next.get(n) ?? []).join() === (this.resolved.get(n) ?? []).join());
    this.resolved = next;
    if (!same) this.rebuild();
  }
}

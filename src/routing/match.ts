/**
 * matchRoute: which route handles a request. Pure; everything it needs was compiled at load.
 *
 * The rule, in full:
 *  1. A route matches when every condition it has holds: prefix (any of its prefixes starts the
 *     request-URI user), pattern (its regex matches the user), sources (the source address is in one
 *     of its CIDRs, or the request's sourceId is one of its names), priority (the header's trimmed
 *     value equals one of its values, case-insensitively).
 *  2. Among matching routes the lowest `order` wins (default 100).
 *  3. At equal `order`, the longest matching prefix wins; routes without a prefix count as length 0.
 *  4. Then evaluation rank: file name, then position in the file.
 *  5. When nothing matches, the default route.
 */
import { cidrContains, parseIp, type IpAddr } from './ip';
import type { CompiledRoute, CompiledRouteTable, RouteRequest, TrieNode } from './types';

interface MatchContext {
  /** The parsed source address: undefined = not parsed yet, null = unparseable. */
  addr: IpAddr | null | undefined;
  best: CompiledRoute | undefined;
  bestLen: number;
}

function beats(r: CompiledRoute, len: number, best: CompiledRoute, bestLen: number): boolean {
  if (r.order !== best.order) return r.order < best.order;
  if (len !== bestLen) return len > bestLen;
  return r.rank < best.rank;
}

function conditionsHold(r: CompiledRoute, req: RouteRequest, ctx: MatchContext): boolean {
  if (r.regex !== undefined && !r.regex.test(req.user)) return false;
  if (r.sourceCidrs.length > 0 || r.sourceNames.length > 0) {
    let ok = req.sourceId !== undefined && r.sourceNames.includes(req.sourceId);
    if (!ok && r.sourceCidrs.length > 0) {
      if (ctx.addr === undefined) ctx.addr = parseIp(req.sourceAddress) ?? null;
      const addr = ctx.addr;
      if (addr !== null) {
        for (let i = 0; i < r.sourceCidrs.length && !ok; i++) ok = cidrContains(r.sourceCidrs[i]!, addr);
      }
    }
    if (!ok) return false;
  }
  const pm = r.match.priority;
  if (pm !== undefined) {
    const v = req.headers(pm.header);
    if (v === undefined || !pm.values.includes(v.trim().toLowerCase())) return false;
  }
  return true;
}

/**
 * Walks a trie along the user string. At each node the entries are sorted best first, so the first
 * one whose conditions hold is that node's best, and once one cannot beat the current best none
 * after it can.
 */
function walk(root: TrieNode, req: RouteRequest, ctx: MatchContext): void {
  const user = req.user;
  let node = root;
  for (let i = 0; i < user.length; i++) {
    const next = node.children[user.charAt(i)];
    if (next === undefined) return;
    node = next;
    const entries = node.entries;
    for (let j = 0; j < entries.length; j++) {
      const e = entries[j]!;
      if (ctx.best !== undefined && !beats(e.route, e.prefixLen, ctx.best, ctx.bestLen)) break;
      if (conditionsHold(e.route, req, ctx)) {
        ctx.best = e.route;
        ctx.bestLen = e.prefixLen;
        break;
      }
    }
  }
}

export function matchRoute(table: CompiledRouteTable, req: RouteRequest): CompiledRoute {
  const ctx: MatchContext = { addr: undefined, best: undefined, bestLen: -1 };
  walk(table.prefixTrie, req, ctx);
  walk(table.patternTrie, req, ctx);
  const others = table.unprefixed;
  for (let j = 0; j < others.length; j++) {
    const r = others[j]!;
    if (ctx.best !== undefined && !beats(r, 0, ctx.best, ctx.bestLen)) break;
    if (conditionsHold(r, req, ctx)) {
      ctx.best = r;
      break;
    }
  }
  return ctx.best ?? table.defaultRoute;
}

/**
 * Builds the CompiledRouteTable once per config load: routes sorted into evaluation order, prefixes
 * in a character trie, regexes compiled, CIDRs parsed. matchRoute then does no parsing or sorting.
 *
 * Evaluation order (`rank`): lower `order` first (default 100), then file name, then position in
 * the file; the default route is always last.
 */
import type { RouteConfig } from '../config/types';
import { parseCidr, type Cidr } from './ip';
import type { CompiledRoute, CompiledRouteTable, TrieEntry, TrieNode } from './types';

/** A source entry is a CIDR / address when it looks like one, otherwise a named source id. */
export type ParsedSource = { kind: 'cidr'; cidr: Cidr } | { kind: 'name'; name: string } | { kind: 'invalid'; reason: string };

const NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;

export function parseSource(s: string): ParsedSource {
  // Anything with '/' or ':' or made of digits and dots is meant as an address; a typo there must
  // be an error, not silently become a name that never matches.
  if (s.includes('/') || s.includes(':') || /^[0-9.]+$/.test(s)) {
    const r = parseCidr(s);
    return r.ok ? { kind: 'cidr', cidr: r.cidr } : { kind: 'invalid', reason: r.reason };
  }
  if (NAME.test(s)) return { kind: 'name', name: s };
  return { kind: 'invalid', reason: `"${s}" is neither a CIDR nor a source name` };
}

/**
 * The literal text every match of an anchored regex must start with: "^\\+447\\d{9}$" → "+447".
 * Used only to index pattern routes so most requests never run their regex; the regex is still
 * tested. Conservative: no "^", any "|", or any escape / metacharacter ends the literal; a literal
 * followed by ?, * or {n,m} is dropped (it may be absent).
 */
export function literalPrefix(source: string): string {
  if (!source.startsWith('^') || source.includes('|')) return '';
  let out = '';
  let i = 1;
  while (i < source.length) {
    let ch = source.charAt(i);
    let len = 1;
    if (ch === '\\') {
      const next = source.charAt(i + 1);
      // \d \w \s \b \1 \u… are classes, assertions or codes, not literals.
      if (next === '' || /[A-Za-z0-9]/.test(next)) break;
      ch = next;
      len = 2;
    } else if ('.*+?()[]{}^$'.includes(ch)) break;
    const after = source.charAt(i + len);
    if (after === '?' || after === '*' || after === '{') break;
    out += ch;
    i += len;
    if (after === '+') break; // required once, then repeated: keep it, stop after
  }
  return out;
}

export function compareEvaluationOrder(a: RouteConfig, b: RouteConfig): number {
  if (a.default !== b.default) return a.default ? 1 : -1;
  if (a.order !== b.order) return a.order - b.order;
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.position - b.position;
}

/** Entries at one trie node: lower order first, then rank (all share the same prefix length). */
function compareEntries(a: TrieEntry, b: TrieEntry): number {
  return a.route.order - b.route.order || a.route.rank - b.route.rank;
}

interface MutableNode {
  children: Record<string, MutableNode>;
  entries: TrieEntry[];
}

/** Throws on an invalid regex or source: the loader validates both first and reports them properly. */
export function compileRouteTable(routes: readonly RouteConfig[]): { routes: CompiledRoute[]; table: CompiledRouteTable } {
  const sorted = [...routes].sort(compareEvaluationOrder);
  const compiled = sorted.map((r, rank): CompiledRoute => {
    const sourceCidrs: Cidr[] = [];
    const sourceNames: string[] = [];
    for (const s of r.match.sources) {
      const p = parseSource(s);
      if (p.kind === 'invalid') throw new Error(`route ${r.id}: ${p.reason}`);
      if (p.kind === 'cidr') sourceCidrs.push(p.cidr);
      else sourceNames.push(p.name);
    }
    const c: CompiledRoute = { ...r, rank, sourceCidrs, sourceNames };
    return r.match.pattern === undefined ? c : { ...c, regex: new RegExp(r.match.pattern) };
  });
  const defaults = compiled.filter((r) => r.default);
  if (defaults.length !== 1) throw new Error(`expected exactly one default route, found ${defaults.length}`);

  const root = newNode();
  const patternRoot = newNode();
  const unprefixed: CompiledRoute[] = [];
  for (const r of compiled) {
    if (r.default) continue;
    if (r.match.prefixes.length > 0) {
      for (const prefix of new Set(r.match.prefixes)) insert(root, prefix, { route: r, prefixLen: prefix.length });
      continue;
    }
    // A pattern route is indexed by its regex's literal start but ranks as prefix length 0.
    const lit = r.match.pattern === undefined ? '' : literalPrefix(r.match.pattern);
    if (lit !== '') insert(patternRoot, lit, { route: r, prefixLen: 0 });
    else unprefixed.push(r);
  }
  const sortAll = (n: MutableNode): TrieNode => {
    n.entries.sort(compareEntries);
    for (const k of Object.keys(n.children)) sortAll(n.children[k]!);
    return n;
  };
  // `compiled` is already in evaluation order, which is (order, rank) order for the unprefixed list.
  return {
    routes: compiled,
    table: { prefixTrie: sortAll(root), patternTrie: sortAll(patternRoot), unprefixed, defaultRoute: defaults[0]!, size: compiled.length },
  };
}

function newNode(): MutableNode {
  return { children: Object.create(null) as Record<string, MutableNode>, entries: [] };
}

function insert(root: MutableNode, key: string, entry: TrieEntry): void {
  let node = root;
  // By UTF-16 unit, as matchRoute walks the user string.
  for (let i = 0; i < key.length; i++) node = node.children[key.charAt(i)] ??= newNode();
  node.entries.push(entry);
}

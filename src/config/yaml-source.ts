/**
 * Reads one YAML file and keeps its document so that any later error — schema, semantic or
 * cross-file — can be reported with the line it refers to, not just the path.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { ConfigError } from './types';

export type PathSegment = string | number;

export interface YamlSource {
  /** Display name of the file (as given / relative to routes/). */
  readonly file: string;
  readonly data: unknown;
  /** 1-based line of the node at `path`, or of its nearest existing ancestor. */
  lineOf(path: readonly PathSegment[]): number | undefined;
}

export type ReadResult = { ok: true; source: YamlSource } | { ok: false; errors: ConfigError[] };

export function readYaml(fsPath: string, file: string): ReadResult {
  let text: string;
  try {
    text = readFileSync(fsPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    return { ok: false, errors: [{ file, path: '', message: `cannot read file (${code})`, fix: 'check the path and its permissions' }] };
  }
  return parseYaml(text, file);
}

export function parseYaml(text: string, file: string): ReadResult {
  const lc = new LineCounter();
  // uniqueKeys: a key written twice in one mapping is an error, not "last one wins".
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const line = e.linePos?.[0]?.line ?? lc.linePos(e.pos[0]).line;
        return { file, path: '', line, message: `YAML syntax: ${firstLine(e.message)}`, fix: yamlFix(e.code) };
      }),
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // The yaml package throws (not reports) when aliases expand past maxAliasCount ("billion laughs").
    const message = (err as Error).message;
    const fix = /alias/i.test(message)
      ? 'the file expands YAML aliases (*name) too many times; write the values out, or use at most a few aliases'
      : 'check the YAML structure';
    return { ok: false, errors: [{ file, path: '', message: `YAML: ${firstLine(message)}`, fix }] };
  }
  return { ok: true, source: { file, data, lineOf: (path) => lineOf(doc, lc, path) } };
}

function lineOf(doc: Document, lc: LineCounter, path: readonly PathSegment[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
  }
  return undefined;
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}

function yamlFix(code: string): string {
  switch (code) {
    case 'DUPLICATE_KEY': return 'remove one of the two keys with the same name';
    case 'BAD_INDENT': case 'MISSING_CHAR': return 'check the indentation and the ":" / "-" on this line';
    case 'TAB_AS_INDENT': return 'indent with spaces, not tabs';
    default: return 'fix the YAML syntax on this line (quote values containing ":" "#" or leading "*", "&", "!")';
  }
}

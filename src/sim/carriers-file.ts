/**
 * The carriers the simulator should impersonate, from carriers.yaml: only `id` and the `uri`
 * host:port are used (parsed by the config module's parseTrunkUri); the rest is trunkwise's business.
 */
import { readFileSync } from 'node:fs';
import { parseTrunkUri, parseYaml } from '../config';
import type { CarrierSpec } from './carrier';
import type { ListenTransport } from './transport';

export type CarriersFileResult = { ok: true; carriers: CarrierSpec[] } | { ok: false; errors: string[] };

export function readCarriersFile(file: string, transport: ListenTransport): CarriersFileResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, errors: [`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'EIO'})`] };
  }
  return carriersFromYaml(text, file, transport);
}

export function carriersFromYaml(text: string, file: string, transport: ListenTransport): CarriersFileResult {
  const y = parseYaml(text, file);
  if (!y.ok) return { ok: false, errors: y.errors.map((e) => `${file}${e.line ? `:${e.line}` : ''}: ${e.message}`) };
  const list = (y.source.data as { carriers?: unknown } | null)?.carriers;
  if (!Array.isArray(list) || list.length === 0) return { ok: false, errors: [`${file}: no "carriers:" list`] };
  const errors: string[] = [];
  const carriers: CarrierSpec[] = [];
  list.forEach((c: unknown, i) => {
    const entry = c as { id?: unknown; uri?: unknown } | null;
    const at = (line: number | undefined): string => `${file}${line ? `:${line}` : ''}: carriers[${i}]`;
    if (typeof entry?.id !== 'string' || typeof entry.uri !== 'string') {
      errors.push(`${at(y.source.lineOf(['carriers', i]))} needs a string id and uri`);
      return;
    }
    const t = parseTrunkUri(entry.uri);
    if (!t.ok) errors.push(`${at(y.source.lineOf(['carriers', i, 'uri']))}.uri: ${t.message} (${t.fix})`);
    else carriers.push({ id: entry.id, host: t.target.host, port: t.target.port, transport });
  });
  return errors.length ? { ok: false, errors } : { ok: true, carriers };
}

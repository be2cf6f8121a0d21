/**
 * Schema validation (ajv) and the translation of ajv's errors into ConfigErrors a person can act
 * on: `carriers[2].uri` rather than `/carriers/2/uri`, "unknown key 'wieght'" with the allowed keys,
 * "expected one of udp|tcp", and a dedicated message for inline passwords.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { CARRIERS_SCHEMA, ROUTES_SCHEMA, type RawCarriersFile, type RawRoutesFile } from './schema';
import type { PathSegment, YamlSource } from './yaml-source';
import type { ConfigError } from './types';

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
ajv.addKeyword({ keyword: 'fix', schemaType: 'string' });
const validateCarriers = ajv.compile(CARRIERS_SCHEMA) as ValidateFunction<RawCarriersFile>;
const validateRoutes = ajv.compile(ROUTES_SCHEMA) as ValidateFunction<RawRoutesFile>;

/** Keys people put in `auth:` that must not be there: secrets never live in the file. */
const INLINE_SECRET_KEYS = new Set(['password', 'username', 'secret', 'pass', 'user']);

export type Checked<T> = { ok: true; value: T } | { ok: false; errors: ConfigError[] };

/**
 * A file that fails the schema only by unknown keys (misspelt settings) is still worth checking
 * further, so one run reports all its errors: `value` is the file without those keys, `skip` the
 * paths of the objects they were in — the loader reports nothing more about those (a misspelt
 * `wieght` must not add "no weight" on top).
 */
export interface SchemaChecked<T> {
  ok: boolean;
  value?: T;
  errors: ConfigError[];
  skip: string[];
}

export function checkCarriersFile(src: YamlSource): SchemaChecked<RawCarriersFile> {
  return check(src, validateCarriers, 'carriers');
}

export function checkRoutesFile(src: YamlSource): SchemaChecked<RawRoutesFile> {
  return check(src, validateRoutes, 'routes');
}

/** Is `path` (formatted, e.g. `carriers[1].probe`) at or inside one of `objects`? */
export function insideAny(path: string, objects: readonly string[]): boolean {
  return objects.some((o) => path === o || path.startsWith(`${o}.`) || path.startsWith(`${o}[`));
}

function check<T>(src: YamlSource, validate: ValidateFunction<T>, topKey: string): SchemaChecked<T> {
  if (src.data === null || src.data === undefined) {
    return { ok: false, errors: [{ file: src.file, path: '', line: 1, message: 'file is empty', fix: `start the file with "${topKey}:" and a list` }], skip: [] };
  }
  if (validate(src.data)) return { ok: true, value: src.data, errors: [], skip: [] };
  const found = validate.errors ?? [];
  const seen = new Set<string>();
  const errors: ConfigError[] = [];
  for (const e of found) {
    const ce = toConfigError(src, e);
    const key = `${ce.path}\u0000${ce.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    errors.push(ce);
  }
  return { ok: false, errors, ...withoutUnknownKeys(src.data, found, validate) };
}

/** The data without the unknown keys ajv found, when that is all that was wrong with it. */
function withoutUnknownKeys<T>(data: unknown, found: readonly ErrorObject[], validate: ValidateFunction<T>): { value?: T; skip: string[] } {
  if (found.length === 0 || !found.every((e) => e.keyword === 'additionalProperties')) return { skip: [] };
  const copy: unknown = structuredClone(data);
  const skip = new Set<string>();
  for (const e of found) {
    const segs = pointerToSegments(e.instancePath);
    let obj: unknown = copy;
    for (const s of segs) obj = (obj as Record<string | number, unknown> | undefined)?.[s];
    if (obj && typeof obj === 'object') delete (obj as Record<string, unknown>)[String((e.params as { additionalProperty?: unknown }).additionalProperty)];
    // A top-level key's absence cascades into nothing the schema allows; an object's key (a carrier's) might.
    if (segs.length > 0) skip.add(formatPath(segs));
  }
  return validate(copy) ? { value: copy, skip: [...skip] } : { skip: [] };
}

/** `/carriers/2/uri` → ['carriers', 2, 'uri'] */
export function pointerToSegments(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => {
    const k = s.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(k) ? Number(k) : k;
  });
}

/** ['carriers', 2, 'uri'] → `carriers[2].uri` */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out === '' ? s : `.${s}`;
  }
  return out;
}

function toConfigError(src: YamlSource, e: ErrorObject): ConfigError {
  const segs = pointerToSegments(e.instancePath);
  const parent = (e.parentSchema ?? {}) as { fix?: string; enum?: readonly unknown[]; properties?: Record<string, unknown> };
  const at = (s: PathSegment[], message: string, fix: string): ConfigError => {
    const line = src.lineOf(s);
    return line === undefined ? { file: src.file, path: formatPath(s), message, fix } : { file: src.file, path: formatPath(s), message, fix, line };
  };
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperty':
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const where = [...segs, key];
      if (segs[segs.length - 1] === 'auth' && INLINE_SECRET_KEYS.has(key)) {
        return at(where, `inline credential "${key}" is not allowed: credentials must not be written in config files`,
          `set an environment variable and reference it by name: auth: { usernameEnv: CARRIER_X_USER, passwordEnv: CARRIER_X_PASS }`);
      }
      const allowed = Object.keys(parent.properties ?? {});
      return at(where, `unknown key "${key}"`, allowed.length ? `remove it or use one of: ${allowed.join(', ')}` : 'remove it');
    }
    case 'required': {
      const key = String(params.missingProperty);
      return at(segs, `missing required key "${key}"`, `add "${key}:"${segs.length ? ` under ${formatPath(segs)}` : ' at the top level'}`);
    }
    case 'enum': {
      const values = (parent.enum ?? []).map(String).join('|');
      return at(segs, `invalid value ${show(e.data)}`, `expected one of ${values}`);
    }
    case 'pattern':
      return at(segs, `invalid value ${show(e.data)}`, parent.fix ?? `must match ${String(params.pattern)}`);
    case 'type':
      return at(segs, `expected ${String(params.type).replace(',', ' or ')}`, parent.fix ?? `write a ${String(params.type)}`);
    default:
      return at(segs, `${show(e.data)} ${e.message ?? `fails ${e.keyword}`}`, parent.fix ?? 'see the configuration reference in the README');
  }
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

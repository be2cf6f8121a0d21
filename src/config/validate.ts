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

export function checkCarriersFile(src: YamlSource): Checked<RawCarriersFile> {
  return check(src, validateCarriers, 'carriers');
}

export function checkRoutesFile(src: YamlSource): Checked<RawRoutesFile> {
  return check(src, validateRoutes, 'routes');
}

function check<T>(src: YamlSource, validate: ValidateFunction<T>, topKey: string): Checked<T> {
  if (src.data === null || src.data === undefined) {
    return { ok: false, errors: [{ file: src.file, path: '', line: 1, message: 'file is empty', fix: `start the file with "${topKey}:" and a list` }] };
  }
  if (validate(src.data)) return { ok: true, value: src.data };
  const seen = new Set<string>();
  const errors: ConfigError[] = [];
  for (const e of validate.errors ?? []) {
    const ce = toConfigError(src, e);
    const key = `${ce.path}\u0000${ce.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    errors.push(ce);
  }
  return { ok: false, errors };
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

/**
 * carriers.yaml after the schema: apply `defaults:` then built-in defaults, parse each trunk URI,
 * check what the schema cannot (URI syntax, probe timeout < interval, unique ids), and resolve
 * digest credentials from the environment into a CredentialStore.
 */
import { CredentialStore, type DigestCredentials } from './credentials';
import type { RawCarrier, RawCarriersFile } from './schema';
import type { CarrierConfig, ConfigError, MediaProbeConfig, ProbeConfig, TrunkTarget } from './types';
import { formatPath, type Checked } from './validate';
import type { PathSegment, YamlSource } from './yaml-source';

export const PROBE_DEFAULTS: ProbeConfig = { enabled: true, intervalMs: 5000, timeoutMs: 1500, burst: 1, aliveCodes: [200] };
export const MEDIA_PROBE_DEFAULTS: Omit<MediaProbeConfig, 'testNumber'> = { intervalMs: 60_000, durationMs: 5000, setupTimeoutMs: 5000, maxConcurrent: 1 };
const DEFAULT_SIP_PORT = 5060;

export interface CarriersResult {
  carriers: CarrierConfig[];
  credentials: CredentialStore;
}

export function buildCarriers(src: YamlSource, raw: RawCarriersFile, env: Readonly<Record<string, string | undefined>>): Checked<CarriersResult> {
  const errors: ConfigError[] = [];
  const err = (path: PathSegment[], message: string, fix: string): void => {
    const line = src.lineOf(path);
    errors.push(line === undefined ? { file: src.file, path: formatPath(path), message, fix } : { file: src.file, path: formatPath(path), message, fix, line });
  };
  const d = raw.defaults ?? {};
  const carriers: CarrierConfig[] = [];
  const secrets = new Map<string, DigestCredentials>();
  const firstIndex = new Map<string, number>();

  raw.carriers.forEach((c: RawCarrier, i) => {
    const at = (...rest: PathSegment[]): PathSegment[] => ['carriers', i, ...rest];
    const prev = firstIndex.get(c.id);
    if (prev !== undefined) err(at('id'), `duplicate carrier id "${c.id}" (first used at carriers[${prev}])`, 'give every carrier a unique id');
    else firstIndex.set(c.id, i);

    const target = parseTrunkUri(c.uri);
    if (!target.ok) err(at('uri'), target.message, target.fix);

    const weight = c.weight ?? d.weight;
    if (weight === undefined) err(at(), `carrier "${c.id}" has no weight`, 'add "weight:" to the carrier (e.g. weight: 20) or to defaults:');

    const probe: ProbeConfig = { ...PROBE_DEFAULTS, ...d.probe, ...c.probe };
    if (probe.timeoutMs >= probe.intervalMs) {
      err(c.probe ? at('probe', 'timeoutMs') : ['defaults', 'probe', 'timeoutMs'], `probe timeoutMs (${probe.timeoutMs}) must be less than intervalMs (${probe.intervalMs})`,
        'lower probe.timeoutMs or raise probe.intervalMs so one probe ends before the next starts');
    }

    const mediaProbe: MediaProbeConfig | undefined = c.mediaProbe && { ...MEDIA_PROBE_DEFAULTS, ...c.mediaProbe };
    if (mediaProbe && mediaProbe.setupTimeoutMs + mediaProbe.durationMs >= mediaProbe.intervalMs * mediaProbe.maxConcurrent) {
      err(at('mediaProbe', 'intervalMs'), `mediaProbe: a probe call can last setupTimeoutMs + durationMs = ${mediaProbe.setupTimeoutMs + mediaProbe.durationMs} ms, as long as intervalMs × maxConcurrent (${mediaProbe.intervalMs} × ${mediaProbe.maxConcurrent}): probes would be skipped`,
        'raise mediaProbe.intervalMs (or maxConcurrent), or shorten durationMs / setupTimeoutMs');
    }

    if (c.auth) {
      const username = env[c.auth.usernameEnv];
      const password = env[c.auth.passwordEnv];
      for (const [key, name, value] of [['usernameEnv', c.auth.usernameEnv, username], ['passwordEnv', c.auth.passwordEnv, password]] as const) {
        if (value === undefined || value === '') {
          err(at('auth', key), `environment variable ${name} is not set (credentials for carrier "${c.id}")`,
            `export ${name}=… before starting trunkwise, or remove auth: from carrier "${c.id}"`);
        }
      }
      if (username && password) secrets.set(c.id, c.auth.realm === undefined ? { username, password } : { username, password, realm: c.auth.realm });
    }

    if (!target.ok || weight === undefined) return;
    const maxConcurrent = c.maxConcurrent ?? d.maxConcurrent;
    const maxCps = c.maxCps ?? d.maxCps;
    carriers.push({
      id: c.id,
      ...(c.description !== undefined && { description: c.description }),
      index: i,
      uri: c.uri,
      target: target.target,
      enabled: c.enabled ?? d.enabled ?? true,
      weight,
      ...(maxConcurrent !== undefined && { maxConcurrent }),
      ...(maxCps !== undefined && { maxCps }),
      rewrite: { stripDigits: c.rewrite?.stripDigits ?? d.rewrite?.stripDigits ?? 0, addPrefix: c.rewrite?.addPrefix ?? d.rewrite?.addPrefix ?? '' },
      ...(c.auth && { auth: { usernameEnv: c.auth.usernameEnv, passwordEnv: c.auth.passwordEnv, ...(c.auth.realm !== undefined && { realm: c.auth.realm }) } }),
      probe: { ...probe, aliveCodes: [...probe.aliveCodes] },
      ...(mediaProbe && { mediaProbe }),
    });
  });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { carriers, credentials: new CredentialStore(secrets) } };
}

type UriResult = { ok: true; target: TrunkTarget } | { ok: false; message: string; fix: string };

const EXAMPLE = 'sip:203.0.113.10:5060;transport=udp';

/** `sip:host[:port];transport=udp|tcp` — host is an IPv4 address, [IPv6] or a DNS name. */
export function parseTrunkUri(uri: string): UriResult {
  const m = /^(sips?):(.*)$/i.exec(uri);
  if (!m) return { ok: false, message: `"${uri}" is not a SIP URI`, fix: `write it as ${EXAMPLE}` };
  const scheme = m[1]!.toLowerCase() as 'sip' | 'sips';
  if (scheme === 'sips') return { ok: false, message: 'sips: (TLS) is not supported', fix: 'use sip: with ;transport=udp or ;transport=tcp' };
  const [hostport = '', ...params] = m[2]!.split(';');
  if (hostport.includes('@')) return { ok: false, message: 'a trunk URI has no user part', fix: `remove "${hostport.slice(0, hostport.indexOf('@') + 1)}": the dialled number becomes the user part` };
  const hp = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\d{1,5}))?$/.exec(hostport);
  if (!hp) return { ok: false, message: `"${hostport}" is not a valid host[:port]`, fix: `write it as ${EXAMPLE}` };
  const port = hp[2] === undefined ? DEFAULT_SIP_PORT : Number(hp[2]);
  if (port < 1 || port > 65535) return { ok: false, message: `port ${port} is out of range`, fix: 'use a port from 1 to 65535' };
  const host = hp[1]!.startsWith('[') ? hp[1]!.slice(1, -1) : hp[1]!;
  const tp = params.map((p) => p.split('=')).find(([k]) => k?.toLowerCase() === 'transport');
  if (!tp) return { ok: false, message: 'missing ;transport= parameter', fix: 'append ;transport=udp or ;transport=tcp (expected one of udp|tcp)' };
  const transport = (tp[1] ?? '').toLowerCase();
  if (transport !== 'udp' && transport !== 'tcp') return { ok: false, message: `transport "${tp[1] ?? ''}" is not supported`, fix: 'expected one of udp|tcp' };
  return { ok: true, target: { scheme, host, port, transport } };
}

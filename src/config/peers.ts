/**
 * carriers.yaml `peers:` — the edges of this operator's other sites, used as a last resort when
 * this site cannot place a call itself (src/routing/peers.ts says when). A peer is probed and scored
 * exactly like a carrier, so it is built as a CarrierConfig with `peer: true`, appended after the
 * carriers (after the routes are resolved: a route cannot name a peer).
 *
 * A peer's host must be an IP address: a call is trusted as coming from a peer (and is then never
 * sent to a peer again) only when it arrives from that address, and a name could resolve elsewhere.
 */
import { isIP } from 'node:net';
import type { RawPeer } from './schema';
import { PROBE_DEFAULTS, parseTrunkUri } from './carriers';
import type { CarrierConfig, ConfigError, ProbeConfig } from './types';
import { formatPath, type Checked } from './validate';
import type { PathSegment, YamlSource } from './yaml-source';

/** Peers take calls only when the local carriers cannot; the weight only orders peers among themselves. */
const DEFAULT_PEER_WEIGHT = 1;

export function buildPeers(src: YamlSource, raw: readonly RawPeer[] | undefined, carrierIds: readonly string[]): Checked<CarrierConfig[]> {
  const errors: ConfigError[] = [];
  const err = (path: PathSegment[], message: string, fix: string): void => {
    const line = src.lineOf(path);
    errors.push(line === undefined ? { file: src.file, path: formatPath(path), message, fix } : { file: src.file, path: formatPath(path), message, fix, line });
  };
  const peers: CarrierConfig[] = [];
  const seen = new Map<string, number>();
  (raw ?? []).forEach((p, i) => {
    const at = (...rest: PathSegment[]): PathSegment[] => ['peers', i, ...rest];
    const prev = seen.get(p.id);
    if (prev !== undefined) err(at('id'), `duplicate peer id "${p.id}" (first used at peers[${prev}])`, 'give every peer a unique id');
    else seen.set(p.id, i);
    if (carrierIds.includes(p.id)) err(at('id'), `peer id "${p.id}" is also a carrier id`, 'name the peer after its site, e.g. site-b, distinct from every carrier id');
    const target = parseTrunkUri(p.uri);
    if (!target.ok) return err(at('uri'), target.message, target.fix);
    if (isIP(target.target.host) === 0) {
      return err(at('uri'), `peer host "${target.target.host}" is not an IP address`, 'write the peer edge\'s SIP address as an IP (calls from a peer are trusted by their source address), e.g. sip:10.2.0.5:5060;transport=udp');
    }
    const probe: ProbeConfig = { ...PROBE_DEFAULTS, ...p.probe };
    if (probe.timeoutMs >= probe.intervalMs) {
      err(at('probe', 'timeoutMs'), `probe timeoutMs (${probe.timeoutMs}) must be less than intervalMs (${probe.intervalMs})`, 'lower probe.timeoutMs or raise probe.intervalMs');
    }
    peers.push({
      id: p.id,
      ...(p.description !== undefined && { description: p.description }),
      index: carrierIds.length + i,
      uri: p.uri,
      target: target.target,
      enabled: p.enabled ?? true,
      weight: p.weight ?? DEFAULT_PEER_WEIGHT,
      rewrite: { stripDigits: 0, addPrefix: '' },
      probe: { ...probe, aliveCodes: [...probe.aliveCodes] },
      peer: true,
    });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: peers };
}

/**
 * Reads drachtio-server's XML configuration (drachtio.conf.xml) into engine options, so existing
 * deployments can run the trunkwise engine in place of drachtio-server with the same file.
 *
 * Honoured: <admin port secret>address</admin>, <sip><contact>/<contacts><contact>, <spammers action
 * tcp-action><header name><value>…, <user-agent-options-auto-respond>, <timers><t1><t2><t4>, <cdrs>,
 * <session-timers default-refresher>. Contacts on transports the engine lacks (ws, wss, tls) are
 * refused one by one (reported, the rest starts) rather than failing the whole start.
 * Everything else (TLS, Homer, Redis blacklist, logging targets…) is reported as ignored.
 */
import { XMLParser } from 'fast-xml-parser';
import type { ListenSpec } from './transport/layer';
import type { EngineOptions } from './core/engine';
import type { SpammerRules } from './core/context';

export interface DrachtioConfig {
  options: EngineOptions;
  loglevel: string;
  ignored: string[];
  /** Contacts (or transports of a contact) the engine cannot serve: logged, the rest still starts. */
  refused: RefusedContact[];
}

export interface RefusedContact {
  contact: string;
  reason: string;
}

type Node = Record<string, unknown>;

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const text = (v: unknown): string => (typeof v === 'object' && v !== null ? String((v as Node)['#text'] ?? '') : String(v ?? '')).trim();
const attr = (v: unknown, name: string): string | undefined => {
  if (typeof v !== 'object' || v === null) return undefined;
  const a = (v as Node)[`@_${name}`];
  return a === undefined ? undefined : String(a);
};

/**
 * `sip:127.0.0.1:5060;transport=udp,tcp,ws` → the UDP/TCP listeners, and the transports this engine
 * does not serve (ws, wss, tls; a sips: contact is TLS). Throws only for a contact that is not a SIP URI.
 */
export function splitContact(contact: string, externalIp?: string): { specs: ListenSpec[]; unsupported: string[] } {
  const m = /^(sips?):(\[[^\]]+\]|[^:;]+)(?::(\d+))?(?:;transport=([a-z,]+))?/i.exec(contact.trim());
  if (!m) throw new Error(`invalid <contact> "${contact}": expected sip:host[:port][;transport=udp,tcp]`);
  const host = m[2]!.replace(/^\[|\]$/g, '');
  const address = host === '*' ? '0.0.0.0' : host;
  const port = m[3] ? Number(m[3]) : 5060;
  const transports = (m[4] ?? (m[1]!.toLowerCase() === 'sips' ? 'tls' : 'udp,tcp')).toLowerCase().split(',').filter(Boolean);
  const specs: ListenSpec[] = [];
  const unsupported: string[] = [];
  for (const t of transports) {
    if ((t !== 'udp' && t !== 'tcp') || m[1]!.toLowerCase() === 'sips') {
      unsupported.push(t);
      continue;
    }
    const spec: ListenSpec = { protocol: t, address, port };
    if (externalIp) spec.advertise = externalIp;
    specs.push(spec);
  }
  return { specs, unsupported };
}

/** `sip:127.0.0.1:5060;transport=udp,tcp` → one ListenSpec per transport; any unsupported transport throws. */
export function parseContact(contact: string, externalIp?: string): ListenSpec[] {
  const { specs, unsupported } = splitContact(contact, externalIp);
  if (unsupported.length) throw new Error(`transport "${unsupported.join(',')}" in <contact> "${contact}" is not supported (udp, tcp)`);
  return specs;
}

/** Add a contact's listeners; what cannot be served goes to `refused` (the engine starts without it). */
export function addContact(contact: string, externalIp: string | undefined, listen: ListenSpec[], refused: RefusedContact[]): void {
  const { specs, unsupported } = splitContact(contact, externalIp);
  listen.push(...specs);
  if (unsupported.length) refused.push({ contact, reason: `transport ${unsupported.join(',')} is not supported by the trunkwise engine (udp, tcp only)` });
}

export function parseDrachtioConfig(xml: string): DrachtioConfig {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, trimValues: true });
  const root = (parser.parse(xml) as Node).drachtio as Node | undefined;
  if (!root) throw new Error('not a drachtio configuration: the root element must be <drachtio>');
  const ignored: string[] = [];
  for (const k of Object.keys(root)) if (!['admin', 'sip', 'cdrs', 'logging'].includes(k)) ignored.push(k);

  const admin = root.admin;
  const wire = {
    host: text(admin) || '127.0.0.1',
    port: Number(attr(admin, 'port') ?? 9022),
    secret: attr(admin, 'secret') ?? 'admin',
  };

  const sip = (root.sip ?? {}) as Node;
  const listen: ListenSpec[] = [];
  const refused: RefusedContact[] = [];
  const contacts = [
    ...(sip.contact !== undefined ? [{ c: text(sip.contact), ext: undefined }] : []),
    ...asArray((sip.contacts as Node | undefined)?.contact).map((c) => ({ c: text(c), ext: attr(c, 'external-ip') })),
  ];
  for (const { c, ext } of contacts) addContact(c, ext, listen, refused);
  for (const k of Object.keys(sip)) {
    if (!['contact', 'contacts', 'spammers', 'user-agent-options-auto-respond', 'timers', 'udp-mtu', 'session-timers'].includes(k)) ignored.push(`sip.${k}`);
  }

  let spammers: SpammerRules | undefined;
  if (sip.spammers !== undefined) {
    const sp = sip.spammers as Node;
    const action = (a: string | undefined): 'reject' | 'discard' => (a === 'reject' ? 'reject' : 'discard');
    spammers = {
      udpAction: action(attr(sp, 'action')),
      tcpAction: action(attr(sp, 'tcp-action')),
      headers: asArray(sp.header as Node | Node[] | undefined).map((h) => ({
        name: (attr(h, 'name') ?? '').toLowerCase(),
        values: asArray(h.value as unknown).map(text).filter(Boolean),
      })).filter((h) => h.name),
    };
  }

  const st = sip['session-timers'];
  const refresher = (attr(st, 'default-refresher') ?? 'none').toLowerCase();
  const defaultRefresher = refresher === 'uac' || refresher === 'uas' ? refresher : 'none';

  const timers = (sip.timers ?? {}) as Node;
  const timerValue = (k: string, d: number): number => (timers[k] !== undefined ? Number(text(timers[k])) : d);
  const autoRespond = sip['user-agent-options-auto-respond'];
  const cdrs = text(root.cdrs).toLowerCase();
  const logging = (root.logging ?? {}) as Node;

  return {
    options: {
      // No contact at all: drachtio-server's default, udp and tcp on 5060. Contacts that were all refused: none.
      sip: listen.length || contacts.length ? listen : [{ protocol: 'udp', address: '0.0.0.0', port: 5060 }, { protocol: 'tcp', address: '0.0.0.0', port: 5060 }],
      wire,
      timers: { T1: timerValue('t1', 500), T2: timerValue('t2', 4000), T4: timerValue('t4', 5000) },
      behaviour: {
        spammers,
        userAgentOptionsAutoRespond: autoRespond !== undefined ? text(autoRespond) : undefined,
        cdrs: cdrs === 'true' || cdrs === 'yes',
        sessionTimers: { defaultRefresher },
      },
    },
    loglevel: text(logging.loglevel) || 'info',
    ignored,
    refused,
  };
}

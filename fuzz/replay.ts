/**
 * Replay cases (fuzz/cases/*.json): messages a fuzz run found to crash the edge or draw a 500,
 * reduced to a script. The caller's messages are sent from one UDP socket in order; the fuzz
 * carrier answers the edge's INVITE with the case's responses (default: 486), anything else with
 * 200. Placeholders: {edge} (host:port), {me} (host:port of the sender), {callId}, {tag}, {branch};
 * in carrier responses also {via} (the request's Via lines), {from}, {to}, {call-id}, {cseq}.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { draftOf, header, serialize } from './draft';
import { responseTo } from './corpus';
import type { Link } from './net';

export interface ReplayCase {
  file: string;
  title: string;
  found: string;
  /** Who owns the fix when it is not in this branch (the case is then a known failure until that lands). */
  fixedBy?: string;
  /** The case leaves something behind (a dialog, a transaction) until another branch's fix lands. */
  leakFixedBy?: string;
  caller: string[];
  /** The final status the caller must get (otherwise: anything but 500). */
  expectFinal?: number;
  carrier?: string[];
}

export const CASES_DIR = path.join(__dirname, 'cases');

export function loadCases(dir = CASES_DIR): ReplayCase[] {
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => ({ file: f, ...(JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Omit<ReplayCase, 'file'>) }));
}

export function fill(template: string, vars: Record<string, string>): Buffer {
  const text = template.replace(/\{([a-z-]+)\}/gi, (m, k: string) => vars[k] ?? m);
  // Content-Length: {len} is the body's byte length after filling.
  const sep = text.indexOf('\r\n\r\n');
  const body = sep === -1 ? '' : text.slice(sep + 4);
  return Buffer.from(text.replace('{len}', String(Buffer.byteLength(body))), 'latin1');
}

/** The fuzz carrier for a replay: answers the INVITE with `script`, everything else 200. Returns what it sent. */
export function scriptedCarrier(script: () => readonly string[] | undefined): (text: string, link: Link) => void {
  return (text, link) => {
    const d = draftOf(text);
    if (!d || d.start.startsWith('SIP/2.0')) return;
    const method = d.start.split(' ')[0];
    if (method === 'ACK') return;
    const lines = script();
    if (method !== 'INVITE' || !lines) {
      link.send(serialize(responseTo(d, method === 'INVITE' ? 486 : 200, method === 'INVITE' ? 'Busy Here' : 'OK', 'replay', link.me, false)));
      return;
    }
    const vias = d.headers.filter(([k]) => /^(via|v)$/i.test(k)).map(([k, v]) => `${k}: ${v}`).join('\r\n');
    const vars = { via: vias, from: header(d, 'From') ?? '', to: header(d, 'To') ?? '', 'call-id': header(d, 'Call-ID') ?? '', cseq: header(d, 'CSeq') ?? '', me: `${link.me.host}:${link.me.port}` };
    for (const l of lines) link.send(fill(l, vars));
  };
}

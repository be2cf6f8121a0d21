/**
 * A SIP message as the fuzzer edits it: start line, ordered header lines, body. Serialised with a
 * correct Content-Length unless a mutation decided otherwise; byte-level mutations come after.
 */
export interface Draft {
  start: string;
  headers: Array<[string, string]>;
  body: string;
  /** Leave Content-Length exactly as the headers say (a mutation set it on purpose). */
  keepLength?: boolean;
  /** Line ending between header lines (a mutation may change it). */
  eol?: string;
}

export function header(d: Draft, name: string): string | undefined {
  const n = name.toLowerCase();
  return d.headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

export function setHeader(d: Draft, name: string, value: string): void {
  const n = name.toLowerCase();
  const i = d.headers.findIndex(([k]) => k.toLowerCase() === n);
  if (i === -1) d.headers.push([name, value]);
  else d.headers[i] = [name, value];
}

export function serialize(d: Draft): Buffer {
  const eol = d.eol ?? '\r\n';
  const body = Buffer.from(d.body, 'utf8');
  const headers = d.keepLength ? d.headers : [...d.headers.filter(([k]) => !/^(content-length|l)$/i.test(k)), ['Content-Length', String(body.length)] as [string, string]];
  const head = `${d.start}${eol}${headers.map(([k, v]) => `${k}: ${v}`).join(eol)}${eol}${eol}`;
  return Buffer.concat([Buffer.from(head, 'utf8'), body]);
}

/** Parse text the edge sent us back into a draft (for answering it); undefined when it has no header block. */
export function draftOf(text: string): Draft | undefined {
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const lines = text.slice(0, end).split('\r\n');
  const start = lines.shift() ?? '';
  const headers: Array<[string, string]> = [];
  for (const l of lines) {
    const c = l.indexOf(':');
    if (c > 0) headers.push([l.slice(0, c).trim(), l.slice(c + 1).trim()]);
  }
  return { start, headers, body: text.slice(end + 4) };
}

export function clone(d: Draft): Draft {
  return { ...d, headers: d.headers.map(([k, v]) => [k, v]) };
}

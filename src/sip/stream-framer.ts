/**
 * Splits a TCP byte stream into SIP messages by the end of the header block and Content-Length
 * (RFC 3261 §18.3: mandatory on streams). CRLF keep-alives (RFC 5626) are reported so the transport
 * can answer them. Exceeding the size limits, or a missing, invalid or conflicting Content-Length, is
 * fatal for the connection: the stream can no longer be framed.
 */
import { findHeaderEnd } from './parser';

export type FramerOutput =
  | { kind: 'message'; data: Buffer }
  | { kind: 'keepalive' }
  | { kind: 'error'; error: string; fatal: boolean };

export interface FramerOptions {
  maxHeaderBytes?: number;
  maxMessageBytes?: number;
}

const CONTENT_LENGTH = /^(?:content-length|l)[ \t]*:[ \t]*(\S*)[ \t]*$/gim;

export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** Body bytes still expected for the message whose header block is complete. */
  private pending: { headerEnd: number; total: number } | undefined;
  private readonly maxHeader: number;
  private readonly maxMessage: number;
  private dead = false;
  /** CR/LF bytes skipped between messages so far; a keep-alive may arrive split across segments. */
  private crlfRun = '';

  constructor(opts: FramerOptions = {}) {
    this.maxHeader = opts.maxHeaderBytes ?? 64 * 1024;
    this.maxMessage = opts.maxMessageBytes ?? 1024 * 1024;
  }

  push(chunk: Buffer): FramerOutput[] {
    if (this.dead) return [];
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: FramerOutput[] = [];
    for (;;) {
      if (!this.pending) {
        // Leading CRLFs between messages: a double CRLF is a keep-alive ping, single ones are skipped.
        let skip = 0;
        while (skip < this.buf.length && (this.buf[skip] === 0x0d || this.buf[skip] === 0x0a)) skip++;
        if (skip) {
          this.crlfRun = (this.crlfRun + this.buf.toString('latin1', 0, skip)).slice(-8); // bounded: only the tail matters
          if (this.crlfRun.includes('\r\n\r\n')) {
            out.push({ kind: 'keepalive' });
            this.crlfRun = '';
          }
          this.buf = this.buf.subarray(skip);
        }
        if (this.buf.length === 0) break;
        this.crlfRun = '';
        const end = findHeaderEnd(this.buf);
        if (!end) {
          if (this.buf.length > this.maxHeader) return this.fatal(out, `header block exceeds ${this.maxHeader} bytes`);
          break;
        }
        if (end.index > this.maxHeader) return this.fatal(out, `header block exceeds ${this.maxHeader} bytes`);
        const values = [...this.buf.toString('latin1', 0, end.index).matchAll(CONTENT_LENGTH)].map((m) => m[1]!);
        if (values.length === 0) return this.fatal(out, 'missing Content-Length on a stream transport');
        if (!values.every((v) => /^\d{1,10}$/.test(v))) return this.fatal(out, 'invalid Content-Length');
        // RFC 4475 §3.3.9: conflicting values leave the message's end unknown — as fatal as an invalid one.
        if (values.some((v) => Number(v) !== Number(values[0]))) return this.fatal(out, 'conflicting Content-Length values');
        const headerEnd = end.index + end.length;
        const total = headerEnd + Number(values[0]);
        if (total > this.maxMessage) return this.fatal(out, `message of ${total} bytes exceeds the ${this.maxMessage}-byte limit`);
        this.pending = { headerEnd, total };
      }
      if (this.buf.length < this.pending.total) break;
      out.push({ kind: 'message', data: Buffer.from(this.buf.subarray(0, this.pending.total)) });
      this.buf = this.buf.subarray(this.pending.total);
      this.pending = undefined;
    }
    return out;
  }

  private fatal(out: FramerOutput[], error: string): FramerOutput[] {
    this.dead = true;
    this.buf = Buffer.alloc(0);
    out.push({ kind: 'error', error, fatal: true });
    return out;
  }
}

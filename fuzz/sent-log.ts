/**
 * What the fuzzer sent lately, for findings: a ring of the last N messages (dumped when the edge
 * exits) and, per Call-ID, the last 20 messages sent with it (saved when the edge answers 500).
 */
import { getCallId, getCSeq } from '../src/sip/headers';
import { findHeaderEnd, parseMessage } from '../src/sip/parser';
import type { Endpoint } from './corpus';

export interface SentEntry {
  at: number;
  who: string;
  from: string;
  ops: string[];
  /** The bytes as latin1 text (byte-exact round trip). */
  latin1: string;
}

/**
 * A request as the edge's stream framer (src/sip/stream-framer.ts) hands it to the parser when it was
 * sent over TCP: CR/LF before the start line skipped (RFC 3261 §7.5, `leadingCrlf`), and a body
 * shorter than its Content-Length completed by whatever the stream carries next (`wrongLength`: the
 * edge reads the message anyway, with the next message's first bytes as its body) — padding stands
 * in for those bytes.
 */
function asFramedOnStream(b: Buffer): { bytes: Buffer; late: boolean } {
  let i = 0;
  while (i < b.length && (b[i] === 0x0d || b[i] === 0x0a)) i++;
  const msg = i ? b.subarray(i) : b;
  const end = findHeaderEnd(msg);
  if (!end) return { bytes: msg, late: false };
  const lengths = [...msg.toString('latin1', 0, end.index).matchAll(/^(?:content-length|l)[ \t]*:[ \t]*(\d{1,10})[ \t]*$/gim)].map((m) => Number(m[1]));
  const want = end.index + end.length + (lengths[0] ?? 0);
  if (lengths.length !== 1 || msg.length >= want || want > 1024 * 1024) return { bytes: msg, late: false };
  return { bytes: Buffer.concat([msg, Buffer.alloc(want - msg.length, 0x20)]), late: true };
}

export class SentLog {
  private readonly ring: SentEntry[] = [];
  private next = 0;
  private readonly byCallId = new Map<string, SentEntry[]>();
  /** Highest CSeq number sent per Call-ID (requests other than ACK/CANCEL), and the requests sent below it. */
  private readonly highestSeq = new Map<string, number>();
  private readonly outOfOrder = new Set<string>();
  /** Requests sent over TCP that the edge reads only once later bytes complete them (a body shorter than its Content-Length). */
  private readonly late = new Set<string>();

  /** `onParserError`: the edge's parser threw on a message we sent — a finding, and the run goes on. */
  constructor(private readonly size = 400, private readonly maxCalls = 20_000, private readonly onParserError?: (message: string, entry: SentEntry) => void) {}

  add(who: string, from: Endpoint, bytes: Buffer, ops: string[]): void {
    const e: SentEntry = { at: Date.now(), who, from: `${from.transport.toLowerCase()}:${from.host}:${from.port}`, ops, latin1: bytes.toString('latin1') };
    if (this.ring.length < this.size) this.ring.push(e);
    else this.ring[this.next] = e;
    this.next = (this.next + 1) % this.size;
    const framed = from.transport === 'TCP' ? asFramedOnStream(bytes) : { bytes, late: false };
    let tracked: string | undefined;
    try {
      tracked = this.trackSeq(framed.bytes, framed.late);
    } catch (err) {
      this.onParserError?.((err as Error).message, e);
    }
    const callId = tracked ?? /\n(?:call-id|i)[ \t]*:[ \t]*([^\r\n]*)/i.exec(e.latin1)?.[1]?.trim();
    if (!callId) return;
    const list = this.byCallId.get(callId) ?? [];
    if (!list.length) {
      this.byCallId.set(callId, list);
      if (this.byCallId.size > this.maxCalls) this.byCallId.delete(this.byCallId.keys().next().value!);
    }
    list.push(e);
    if (list.length > 20) list.shift();
  }

  /**
   * The CSeq the edge will hold for this request, read with the edge's own parser (src/sip/parser.ts):
   * a request it parses — bare-LF line ends and folded headers included, which a regex on CRLF
   * missed (fuzz/findings.md #15: 500s for in-order requests after an LF-only copy with a higher CSeq
   * had raised the dialog's remote CSeq) — counts; one it refuses with 400 never reaches a dialog.
   * Returns the request's Call-ID, or undefined when it is not a request the edge can read.
   */
  private trackSeq(bytes: Buffer, late: boolean): string | undefined {
    if (bytes.subarray(0, 4).toString('latin1') === 'SIP/') return undefined;
    const parsed = parseMessage(bytes);
    if (!parsed.ok) return undefined;
    const callId = getCallId(parsed.message);
    const cseq = getCSeq(parsed.message);
    if (!callId || !cseq) return undefined;
    if (cseq.method === 'ACK' || cseq.method === 'CANCEL') return callId;
    const seq = cseq.seq;
    if (late) {
      this.late.add(`${callId} ${seq} ${cseq.method}`);
      if (this.late.size > this.maxCalls) this.late.delete(this.late.values().next().value!);
    }
    const max = this.highestSeq.get(callId);
    if (max !== undefined && seq <= max) {
      this.outOfOrder.add(`${callId} ${seq} ${cseq.method}`);
      if (this.outOfOrder.size > this.maxCalls) this.outOfOrder.delete(this.outOfOrder.values().next().value!);
    }
    if (max === undefined || seq > max) {
      this.highestSeq.delete(callId);
      this.highestSeq.set(callId, seq);
      if (this.highestSeq.size > this.maxCalls) this.highestSeq.delete(this.highestSeq.keys().next().value!);
    }
    return callId;
  }

  /** Whether we sent this request (Call-ID, CSeq number, method) with a CSeq not above an earlier one in its call. */
  wasOutOfOrder(callId: string, seq: string, method: string): boolean {
    const key = `${callId} ${seq} ${method}`;
    if (this.outOfOrder.has(key)) return true;
    // Completed by later bytes of its stream, it reaches the edge after the requests sent meanwhile
    // (on other connections, or the hang-up over UDP): any higher CSeq sent since may have come first.
    return this.late.has(key) && this.maxSeq(callId) > Number(seq);
  }

  /** The highest CSeq number sent in this call so far (0: none known). */
  maxSeq(callId: string): number {
    return this.highestSeq.get(callId) ?? 0;
  }

  /** The ring, oldest first. */
  recent(): SentEntry[] {
    return [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }

  forCall(callId: string): SentEntry[] {
    return this.byCallId.get(callId) ?? [];
  }
}

/**
 * What the fuzzer sent lately, for findings: a ring of the last N messages (dumped when the edge
 * exits) and, per Call-ID, the last few messages sent with it (saved when the edge answers 500).
 */
import type { Endpoint } from './corpus';

export interface SentEntry {
  at: number;
  who: string;
  from: string;
  ops: string[];
  /** The bytes as latin1 text (byte-exact round trip). */
  latin1: string;
}

export class SentLog {
  private readonly ring: SentEntry[] = [];
  private next = 0;
  private readonly byCallId = new Map<string, SentEntry[]>();

  constructor(private readonly size = 400, private readonly maxCalls = 20_000) {}

  add(who: string, from: Endpoint, bytes: Buffer, ops: string[]): void {
    const e: SentEntry = { at: Date.now(), who, from: `${from.transport.toLowerCase()}:${from.host}:${from.port}`, ops, latin1: bytes.toString('latin1') };
    if (this.ring.length < this.size) this.ring.push(e);
    else this.ring[this.next] = e;
    this.next = (this.next + 1) % this.size;
    const callId = /\r\n(?:call-id|i)[ \t]*:[ \t]*([^\r\n]*)/i.exec(e.latin1)?.[1]?.trim();
    if (!callId) return;
    const list = this.byCallId.get(callId) ?? [];
    if (!list.length) {
      this.byCallId.set(callId, list);
      if (this.byCallId.size > this.maxCalls) this.byCallId.delete(this.byCallId.keys().next().value!);
    }
    list.push(e);
    if (list.length > 6) list.shift();
  }

  /** The ring, oldest first. */
  recent(): SentEntry[] {
    return [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }

  forCall(callId: string): SentEntry[] {
    return this.byCallId.get(callId) ?? [];
  }
}

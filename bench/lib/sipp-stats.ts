/** SIPp's own counters, read from the last line of its -trace_stat CSV (written every -fd seconds and on exit). */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

export interface SippStats {
  outgoing: number;
  incoming: number;
  successful: number;
  failed: number;
  /** Messages SIPp itself retransmitted (its timer fired before the peer answered). */
  retransmissions: number;
  failedTimeout: number;
  failedUnexpected: number;
  failedMaxRetrans: number;
  current: number;
  /** Mean of response time 1 (INVITE → 200 in the bench scenario), ms; SIPp's own ms clock. */
  responseTimeMeanMs: number;
  /** Seconds since SIPp started, per line, with the cumulative outgoing-call count: when the last call was placed. */
  outgoingTimeline: Array<{ s: number; outgoing: number }>;
}

const EMPTY: SippStats = {
  outgoing: 0, incoming: 0, successful: 0, failed: 0, retransmissions: 0, failedTimeout: 0, failedUnexpected: 0, failedMaxRetrans: 0, current: 0,
  responseTimeMeanMs: 0, outgoingTimeline: [],
};

export function readSippStats(dir: string): SippStats {
  let text: string;
  try {
    const file = readdirSync(dir).find((f) => f.endsWith('.csv'));
    if (!file) return EMPTY;
    text = readFileSync(path.join(dir, file), 'utf8');
  } catch {
    return EMPTY;
  }
  const lines = text.trim().split('\n');
  if (lines.length < 2) return EMPTY;
  const head = lines[0]!.split(';');
  const idx = (name: string): number => head.indexOf(name);
  const parse = (line: string): string[] => line.split(';');
  const last = parse(lines[lines.length - 1]!);
  const num = (row: string[], name: string): number => Number(row[idx(name)] ?? 0) || 0;
  const hms = (v: string | undefined): number => {
    const [h, m, s] = (v ?? '0:0:0').split(':').map(Number);
    return (h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0);
  };
  const rt = /(\d+):(\d+):(\d+):(\d+)/.exec(last[idx('ResponseTime1(C)')] ?? '');
  return {
    outgoing: num(last, 'OutgoingCall(C)'),
    incoming: num(last, 'IncomingCall(C)'),
    successful: num(last, 'SuccessfulCall(C)'),
    failed: num(last, 'FailedCall(C)'),
    retransmissions: num(last, 'Retransmissions(C)'),
    failedTimeout: num(last, 'FailedTimeoutOnRecv(C)'),
    failedUnexpected: num(last, 'FailedUnexpectedMessage(C)'),
    failedMaxRetrans: num(last, 'FailedMaxUDPRetrans(C)'),
    current: num(last, 'CurrentCall'),
    responseTimeMeanMs: rt ? ((Number(rt[1]) * 60 + Number(rt[2])) * 60 + Number(rt[3])) * 1000 + Number(rt[4]) / 1000 : 0,
    outgoingTimeline: lines.slice(1).map((l) => {
      const row = parse(l);
      return { s: hms(row[idx('ElapsedTime(C)')]), outgoing: num(row, 'OutgoingCall(C)') };
    }),
  };
}

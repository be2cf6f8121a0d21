/**
 * The five benchmark carriers: one SIPp UAS each (bench/scenarios/uas-bench-carrier.xml: answers
 * OPTIONS, INVITE → 100/180/200, BYE → 200) on a free loopback port. Both systems under test get the
 * same five, with the weights of carriers.yaml. `silence` = SIGSTOP (INVITEs and OPTIONS alike go
 * unanswered), `restore` = SIGCONT.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts, waitUdpBound } from './ports';
import { exited, start, stop } from './procs';
import { SCENARIOS } from './sipp-run';
import { readSippStats } from './sipp-stats';

export const CARRIER_WEIGHTS = [30, 25, 20, 15, 10] as const;
export const CARRIER_IDS = ['carrier-a', 'carrier-b', 'carrier-c', 'carrier-d', 'carrier-e'] as const;

export interface BenchCarrier {
  id: string;
  port: number;
  weight: number;
  child: ChildProcess;
  dir: string;
}

export interface CarrierTotals {
  /** INVITEs + OPTIONS each carrier took as new SIPp calls. */
  incoming: Record<string, number>;
  failed: number;
  retransmissions: number;
}

export interface Carriers {
  list: BenchCarrier[];
  pids(): number[];
  silence(id: string): void;
  restore(id: string): void;
  totals(): CarrierTotals;
  stop(): Promise<CarrierTotals>;
}

/** Start the five; a port taken between choosing and binding it (a busy shared machine) means a retry on new ports. */
export async function startCarriers(): Promise<Carriers> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce();
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

async function startOnce(): Promise<Carriers> {
  const ports = await freePorts(CARRIER_IDS.length);
  const list: BenchCarrier[] = CARRIER_IDS.map((id, i) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), `tw-${id}-`));
    const port = ports[i]!;
    const child = start(`sipp ${id} :${port}`, 'sipp', ['-sf', path.join(SCENARIOS, 'uas-bench-carrier.xml'), '-i', '127.0.0.1', '-p', String(port), '-t', 'u1',
      '-nostdin', '-trace_stat', '-stf', 'stats.csv', '-fd', '1', '-max_socket', '5000'], { cwd: dir });
    return { id, port, weight: CARRIER_WEIGHTS[i]!, child, dir };
  });
  for (const c of list) {
    if (!(await waitUdpBound(c.port, 5000)) || exited(c.child)) {
      await Promise.all(list.map((x) => stop(x.child, 1000)));
      for (const x of list) rmSync(x.dir, { recursive: true, force: true });
      throw new Error(`${c.id}: SIPp did not bind 127.0.0.1:${c.port}`);
    }
  }
  const byId = (id: string): BenchCarrier => {
    const c = list.find((x) => x.id === id);
    if (!c) throw new Error(`no carrier ${id}`);
    return c;
  };
  const totals = (): CarrierTotals => {
    const t: CarrierTotals = { incoming: {}, failed: 0, retransmissions: 0 };
    for (const c of list) {
      const s = readSippStats(c.dir);
      t.incoming[c.id] = s.incoming;
      t.failed += s.failed;
      t.retransmissions += s.retransmissions;
    }
    return t;
  };
  return {
    list,
    pids: () => list.map((c) => c.child.pid ?? 0).filter((p) => p > 0),
    silence: (id) => void byId(id).child.kill('SIGSTOP'),
    restore: (id) => void byId(id).child.kill('SIGCONT'),
    totals,
    stop: async () => {
      await Promise.all(list.map((c) => stop(c.child, 3000)));
      await new Promise((r) => setTimeout(r, 100));
      const t = totals();
      for (const c of list) rmSync(c.dir, { recursive: true, force: true });
      return t;
    },
  };
}

/**
 * baresip (Debian's 1.0.0) as a real SIP user agent in the integration tests — a peer nobody on
 * this project wrote. Each instance runs headless from its own temp config dir: a WAV tone file as
 * its audio source (aufile), a discarding player (aubridge), and the sndfile filter recording what
 * it sends (…-enc.wav) and what it decodes from the far end (…-dec.wav) for every call. It is driven
 * over its ctrl_tcp module (netstring JSON: commands in, call events out). Started and stopped by
 * PID, bounded by baresip's own `-t` lifetime, its dir removed on stop; every instance is killed on
 * process exit too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from './sipp';
import { writeToneWav } from './tones';

export interface BaresipOptions {
  /** Name for the temp dir and messages, e.g. 'ivr' or 'carrier'. */
  name: string;
  /**
   * The account's SIP user (default `name`). baresip answers 404 to a Request-URI user no account
   * has, so a carrier must own the number trunkwise dials.
   */
  user?: string;
  /** The tone this UA sends, Hz (8 kHz PCMU, so below 4000). */
  toneHz: number;
  /** Incoming calls: `auto` answers at once, `manual` rings until `accept`. Default manual. */
  answer?: 'auto' | 'manual';
  /** Offer / accept a=rtcp-mux (baresip's `rtcp_mux`). Default false. */
  rtcpMux?: boolean;
  /** baresip quits by itself after this long (its `-t`), whatever the test does. Default 120 s. */
  lifetimeS?: number;
  /** Log SIP messages to the output (`-s`). */
  sipTrace?: boolean;
}

export interface BaresipEvent {
  type: string;
  class?: string;
  direction?: string;
  peeruri?: string;
  id?: string;
  param?: string;
  rtcp_stats?: { tx: { sent: number; lost: number; jit: number }; rx: { sent: number; lost: number; jit: number }; rtt: number };
  /** When the test received it (ms since epoch). */
  at: number;
  [k: string]: unknown;
}

export interface Baresip {
  readonly name: string;
  readonly sipPort: number;
  readonly pid: number | undefined;
  readonly dir: string;
  readonly events: BaresipEvent[];
  /** Runs a menu command (`dial sip:…`, `hangup`, `accept`, `hold`, `resume`, `audio_debug` …). */
  command(cmd: string, params?: string): Promise<{ ok: boolean; data: string }>;
  /** The first event of `type` (matching `pred`) at or after `since` — already seen or still to come. */
  waitEvent(type: string, timeoutMs: number, pred?: (e: BaresipEvent) => boolean, since?: number): Promise<BaresipEvent>;
  /** Events of `type` received so far (optionally since a time). */
  count(type: string, since?: number): number;
  /** The WAV files sndfile wrote, oldest call first: `dec` what it heard, `enc` what it sent. */
  recordings(): Array<{ dec: string; enc: string }>;
  /**
   * The latest call's `dec` recording once baresip has closed it (libsndfile fills in the RIFF
   * sizes at close; before that the tail may still sit in its buffer). Undefined after `timeoutMs`.
   */
  finishedRecording(timeoutMs?: number): Promise<string | undefined>;
  /** The tail of baresip's own output (for a failing test's comment). */
  output(): string;
  /** Kills it (SIGTERM, then SIGKILL) and removes its dir. Idempotent. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** libsndfile has written the final RIFF size into the header (it does so when it closes the file). */
function wavClosed(file: string): boolean {
  try {
    const b = readFileSync(file);
    return b.length > 44 && b.readUInt32LE(4) === b.length - 8;
  } catch {
    return false;
  }
}

/** Is the binary installed (scripts/setup.sh media installs it)? */
export function baresipAvailable(): boolean {
  try {
    return readdirSync('/usr/lib/baresip/modules').includes('ctrl_tcp.so');
  } catch {
    return false;
  }
}

/** A port free for SIP over UDP and TCP whose next port is free for TCP too: baresip puts SIP/TLS there. */
async function sipPortPair(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const [p] = await freePorts(1);
    const nextFree = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(p! + 1, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (nextFree) return p!;
  }
  throw new Error('no SIP port with a free neighbour for SIP/TLS');
}

/** A random 200-port window for RTP, apart from the simulator's 22000–29999 and the relay's default 40000–49999. */
function rtpWindow(): string {
  const base = 30000 + 2 * Math.floor(Math.random() * 4800);
  return `${base}-${base + 199}`;
}

function config(o: BaresipOptions, dir: string, sipPort: number, ctrlPort: number, tone: string): string {
  return [
    'poll_method epoll',
    `sip_listen 127.0.0.1:${sipPort}`,
    // Bind media and write SDP on loopback (baresip's default would be the first non-loopback interface).
    'net_interface 127.0.0.1',
    'call_local_timeout 120',
    'call_max_calls 4',
    `audio_source aufile,${tone}`,
    'audio_player aubridge,nil',
    'audio_alert aubridge,nil',
    'ausrc_srate 8000', 'auplay_srate 8000', 'ausrc_channels 1', 'auplay_channels 1',
    'audio_buffer 20-160',
    `rtp_ports ${rtpWindow()}`,
    `rtcp_mux ${o.rtcpMux ? 'yes' : 'no'}`,
    'jitter_buffer_delay 5-10',
    'rtp_stats yes',
    'module_path /usr/lib/baresip/modules',
    'module g711.so',
    'module sndfile.so',
    'module aufile.so',
    'module aubridge.so',
    'module_tmp uuid.so',
    'module_tmp account.so',
    'module_app menu.so',
    'module_app ctrl_tcp.so',
    `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
    'statmode_default off',
    'ringback_disabled yes',
    `snd_path ${dir}`,
    '',
  ].join('\n');
}

export async function startBaresip(o: BaresipOptions): Promise<Baresip> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `tw-baresip-${o.name}-`));
  const sipPort = await sipPortPair();
  let [ctrlPort] = await freePorts(1);
  while (ctrlPort === sipPort + 1) [ctrlPort] = await freePorts(1);
  const tone = path.join(dir, 'tone.wav');
  // Longer than any call in the tests: aufile stops sending at the end of the file.
  writeToneWav(tone, o.toneHz, 150);
  writeFileSync(path.join(dir, 'config'), config(o, dir, sipPort!, ctrlPort!, tone));
  writeFileSync(path.join(dir, 'accounts'), `<sip:${o.user ?? o.name}@127.0.0.1:${sipPort}>;regint=0;answermode=${o.answer ?? 'manual'};audio_codecs=PCMU\n`);
  const args = ['-f', dir, '-t', String(o.lifetimeS ?? 120), ...(o.sipTrace ? ['-s'] : [])];
  const child = spawn('baresip', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  const keep = (d: Buffer): void => void (out = (out + d.toString()).slice(-(o.sipTrace ? 200_000 : 20_000)));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    running.delete(child);
    resolve();
  }));

  const events: BaresipEvent[] = [];
  const waiters = new Set<() => void>();
  const pending = new Map<string, (r: { ok: boolean; data: string }) => void>();
  let sock: net.Socket | undefined;
  for (let i = 0; i < 100 && !sock; i++) {
    if (child.exitCode !== null) break;
    sock = await new Promise<net.Socket | undefined>((resolve) => {
      const s = net.connect(ctrlPort!, '127.0.0.1', () => resolve(s));
      s.once('error', () => resolve(undefined));
    });
    if (!sock) await new Promise((r) => setTimeout(r, 50));
  }
  const stop = async (): Promise<void> => {
    sock?.destroy();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  if (!sock) {
    await stop();
    throw new Error(`baresip ${o.name} did not open its control port: ${out.slice(-2000)}`);
  }
  sock.on('error', () => undefined);

  // ctrl_tcp frames every JSON message as a netstring: "<length>:<json>,".
  let buf = Buffer.alloc(0);
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const colon = buf.indexOf(0x3a);
      if (colon < 0) break;
      const len = Number(buf.subarray(0, colon).toString());
      if (!Number.isInteger(len) || buf.length < colon + 2 + len) break;
      const text = buf.subarray(colon + 1, colon + 1 + len).toString();
      buf = buf.subarray(colon + 2 + len);
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (msg.response && typeof msg.token === 'string') {
        pending.get(msg.token)?.({ ok: msg.ok === true, data: String(msg.data ?? '') });
        pending.delete(msg.token);
      } else if (msg.event) {
        events.push({ ...(msg as { type: string }), at: Date.now() });
        for (const w of waiters) w();
      }
    }
  });

  let token = 0;
  const command = (cmd: string, params = ''): Promise<{ ok: boolean; data: string }> => new Promise((resolve, reject) => {
    const tok = String(++token);
    const json = JSON.stringify({ command: cmd, params, token: tok });
    const timer = setTimeout(() => {
      pending.delete(tok);
      reject(new Error(`baresip ${o.name}: no response to "${cmd} ${params}" in 5 s`));
    }, 5000);
    pending.set(tok, (r) => {
      clearTimeout(timer);
      resolve(r);
    });
    sock!.write(`${Buffer.byteLength(json)}:${json},`);
  });

  const find = (type: string, pred: ((e: BaresipEvent) => boolean) | undefined, since: number): BaresipEvent | undefined =>
    events.find((e) => e.type === type && e.at >= since && (!pred || pred(e)));

  return {
    name: o.name, sipPort: sipPort!, pid: child.pid, dir, events,
    command,
    waitEvent: (type, timeoutMs, pred, since = 0) => new Promise((resolve, reject) => {
      const hit = find(type, pred, since);
      if (hit) return resolve(hit);
      const check = (): void => {
        const e = find(type, pred, since);
        if (!e) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(e);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`baresip ${o.name}: no ${type} event in ${timeoutMs} ms (saw ${events.map((e) => e.type).join(', ')})`));
      }, timeoutMs);
      waiters.add(check);
    }),
    count: (type, since = 0) => events.filter((e) => e.type === type && e.at >= since).length,
    recordings: () => {
      const files = readdirSync(dir).filter((f) => /^dump-.*-(dec|enc)\.wav$/.test(f)).sort();
      return files.filter((f) => f.endsWith('-dec.wav')).map((f) => ({ dec: path.join(dir, f), enc: path.join(dir, f.replace(/-dec\.wav$/, '-enc.wav')) }));
    },
    finishedRecording: async (timeoutMs = 3000) => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const file = readdirSync(dir).filter((f) => /^dump-.*-dec\.wav$/.test(f)).sort().at(-1);
        if (file && wavClosed(path.join(dir, file))) return path.join(dir, file);
        if (Date.now() > until) return undefined;
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    output: () => out,
    stop,
  };
}

/** baresip's own end-of-call tallies ("packets: <transmit> <receive>"), one per ended call, in order. */
export function callTallies(output: string): Array<{ sent: number; received: number }> {
  return [...output.matchAll(/^packets:\s+(\d+)\s+(\d+)/gm)].map((m) => ({ sent: Number(m[1]), received: Number(m[2]) }));
}

/** The audio stream's direction as baresip holds it now (`audio_debug`: "audio dir=…"). */
export async function audioDirection(ua: Baresip): Promise<string | undefined> {
  return /audio dir=(\w+)/.exec((await ua.command('audio_debug')).data)?.[1];
}

/** RTP packets the current call has received so far (`audio_debug`: the RTCP members' "rcvd="). */
export async function rtpReceivedNow(ua: Baresip): Promise<number> {
  const counts = [...(await ua.command('audio_debug')).data.matchAll(/rcvd=(\d+)/g)].map((m) => Number(m[1]));
  return counts.length ? Math.max(...counts) : 0;
}

/**
 * RTCP baresip dropped as arriving on a port it was not told to expect it on (the rtcp-mux bug's
 * symptom) since its latest call was established. Earlier drops are not counted: baresip 1.0.0,
 * having offered rtcp-mux, drops RTCP that reaches its RTP port before the answer does — the answerer
 * sends an RTCP APP packet as it answers; that race happens with direct media too.
 */
export function misdeliveredRtcp(output: string): string[] {
  const at = output.lastIndexOf('Call established');
  return at < 0 ? [] : output.slice(at).split('\n').filter((l) => /drop incoming RTCP|RTCP.*RTP port|RTP.*RTCP port/i.test(l)).map((l) => l.replace(/\u001b\[[;\d]*m/g, '').trim());
}

export interface TrunkwiseHealth {
  engine: { dialogs: number; serverTransactions: number; clientTransactions: number };
  media: { sessions: number; portsInUse: number; tracked: number };
  activeCalls: number;
}

/**
 * Polls trunkwise's /health until `done` holds (or `timeoutMs` passes) and returns the last reading:
 * the leak checks after a call ends (relay sessions, ports, engine dialogs and transactions).
 */
export async function waitHealth(admin: (m: string, p: string) => Promise<{ body: unknown }>, done: (h: TrunkwiseHealth) => boolean, timeoutMs: number): Promise<TrunkwiseHealth> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const h = (await admin('GET', '/health')).body as TrunkwiseHealth;
    if (done(h) || Date.now() > until) return h;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** No call, relay session, relay port or engine dialog left. */
export const callsReleased = (h: TrunkwiseHealth): boolean =>
  h.activeCalls === 0 && h.media.sessions === 0 && h.media.portsInUse === 0 && h.engine.dialogs === 0;

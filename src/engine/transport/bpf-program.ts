/**
 * The allowlist as a classic BPF socket filter (SO_ATTACH_FILTER), for a UDP socket under a foreign
 * flood: the kernel then refuses a foreign request while it delivers the datagram, before it is queued,
 * so the flood no longer fills the socket's receive buffer and pushes out the allowlisted callers'
 * datagrams with it (the bench's "kernel dropped (buffer full)"). See flood-guard.ts for when.
 *
 * What the program passes (everything else is dropped in the kernel):
 *  - any datagram from an allowed source (IPv4 or IPv6 networks, as SourceAdmission matches them);
 *  - a response from anywhere (payload starts "SIP/"): responses are never refused by the gate, they
 *    count only if they match a client transaction — a carrier may answer from an address the list
 *    does not hold (DNS SRV targets);
 *  - one foreign request in 2^sampleShift, chosen by the kernel's random number (SKF_AD_RANDOM), so the
 *    gate still sees, counts and (in reject mode, within its 403 budget) answers a sample.
 *
 * For a UDP socket the kernel runs the filter with the packet's data at the UDP header (payload at 8)
 * and the IP header reachable at SKF_NET_OFF. A load past the packet's end ends the program with 0
 * (drop) — so the source checks come first and only a foreign datagram's payload is read.
 *
 * Hand-written: no maintained npm package compiles cBPF; the instruction set is Linux's
 * include/uapi/linux/filter.h and bpf_common.h.
 */

/** One network, as SourceAdmission's entries and resolved names give it. */
export interface FilterNet {
  family: 'ipv4' | 'ipv6';
  /** Dotted quad or IPv6 text. */
  address: string;
  prefix: number;
}

const LD_W_ABS = 0x20;
const LD_B_ABS = 0x30;
const ALU_AND_K = 0x54;
const ALU_RSH_K = 0x74;
const JMP_JA = 0x05;
const JMP_JEQ_K = 0x15;
const RET_K = 0x06;
const SKF_NET_OFF = -0x100000;
const SKF_AD_RANDOM = -0x1000 + 56;
const UDP_PAYLOAD = 8;
const SIP_SLASH = 0x5349502f; // "SIP/"
const ACCEPT = 0xffffffff;
/** BPF_MAXINSNS. */
export const MAX_INSTRUCTIONS = 4096;

type Target = string | number;
interface Insn { code: number; k: number; jt?: Target; jf?: Target; jaTo?: string }

export function ipv4Word(address: string): number {
  const p = address.split('.').map(Number);
  return (((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0);
}

/** The 8 groups of an IPv6 address as four 32-bit words (:: expanded; an embedded dotted quad read). */
export function ipv6Words(address: string): number[] {
  let s = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const w = ipv4Word(dotted[1]!);
    s = s.slice(0, -dotted[1]!.length) + `${(w >>> 16).toString(16)}:${(w & 0xffff).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') as [string, string] : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const n = groups.map((g) => parseInt(g, 16));
  return [0, 1, 2, 3].map((i) => (((n[2 * i]! << 16) | n[2 * i + 1]!) >>> 0));
}

const maskOf = (bits: number): number => (bits <= 0 ? 0 : bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0);

/**
 * The program, as struct sock_filter[] bytes (8 bytes each, host order), or undefined when the list
 * needs more than the kernel's 4,096 instructions (the gate then does the work alone).
 */
export function compileAdmissionFilter(nets: readonly FilterNet[], sampleShift: number): Buffer | undefined {
  const prog: Insn[] = [];
  const labels = new Map<string, number>();
  const label = (name: string): void => void labels.set(name, prog.length);
  const emit = (i: Insn): void => void prog.push(i);

  // IP version → the block of that family.
  emit({ code: LD_B_ABS, k: SKF_NET_OFF });
  emit({ code: ALU_RSH_K, k: 4 });
  emit({ code: JMP_JEQ_K, k: 4, jt: 1, jf: 0 });
  emit({ code: JMP_JA, k: 0, jaTo: 'v6' });

  for (const n of nets.filter((x) => x.family === 'ipv4')) {
    // ld src; and mask; jeq net → accept (next insn) else skip it.
    emit({ code: LD_W_ABS, k: SKF_NET_OFF + 12 });
    const m = maskOf(n.prefix);
    if (m !== 0xffffffff) emit({ code: ALU_AND_K, k: m });
    emit({ code: JMP_JEQ_K, k: (ipv4Word(n.address) & m) >>> 0, jt: 0, jf: 1 });
    emit({ code: RET_K, k: ACCEPT });
  }
  emit({ code: JMP_JA, k: 0, jaTo: 'foreign' });

  label('v6');
  let v6 = 0;
  for (const n of nets.filter((x) => x.family === 'ipv6')) {
    const words = ipv6Words(n.address);
    const next = `v6-next-${v6++}`;
    for (let w = 0; w < 4; w++) {
      const bits = Math.min(32, n.prefix - 32 * w);
      if (bits <= 0) break;
      const m = maskOf(bits);
      emit({ code: LD_W_ABS, k: SKF_NET_OFF + 8 + 4 * w });
      if (m !== 0xffffffff) emit({ code: ALU_AND_K, k: m });
      emit({ code: JMP_JEQ_K, k: (words[w]! & m) >>> 0, jt: 0, jf: next });
    }
    emit({ code: RET_K, k: ACCEPT });
    label(next);
  }

  label('foreign');
  emit({ code: LD_W_ABS, k: UDP_PAYLOAD });
  emit({ code: JMP_JEQ_K, k: SIP_SLASH, jt: 0, jf: 1 });
  emit({ code: RET_K, k: ACCEPT });
  if (sampleShift > 0) {
    emit({ code: LD_W_ABS, k: SKF_AD_RANDOM });
    emit({ code: ALU_AND_K, k: (2 ** Math.min(sampleShift, 31) - 1) >>> 0 });
    emit({ code: JMP_JEQ_K, k: 0, jt: 0, jf: 1 });
    emit({ code: RET_K, k: ACCEPT });
  }
  emit({ code: RET_K, k: 0 });

  if (prog.length > MAX_INSTRUCTIONS) return undefined;
  const out = Buffer.alloc(prog.length * 8);
  prog.forEach((ins, i) => {
    const rel = (t: Target | undefined): number => {
      if (t === undefined) return 0;
      if (typeof t === 'number') return t;
      const d = labels.get(t)! - i - 1;
      if (d < 0 || d > 255) throw new Error(`bpf jump to ${t} out of range (${d})`);
      return d;
    };
    const k = ins.jaTo !== undefined ? labels.get(ins.jaTo)! - i - 1 : ins.k;
    out.writeUInt16LE(ins.code, i * 8);
    out.writeUInt8(rel(ins.jt), i * 8 + 2);
    out.writeUInt8(rel(ins.jf), i * 8 + 3);
    out.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return out;
}

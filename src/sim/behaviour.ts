/**
 * A simulated carrier's behaviour: the type, its defaults, and the one validator for run-time patches
 * (HTTP PATCH, CLI --set, Simulator.set). A patch is all-or-nothing: any bad key rejects the whole patch.
 */

export const MODES = ['answer', 'reject', 'noanswer', 'silent', 'hangup'] as const;
export type Mode = (typeof MODES)[number];

/**
 * What the carrier does with RTP: `off` advertises a port and opens nothing (the default), `echo`
 * sends every RTP packet it receives back to its latched source, `send` generates its own PCMU/PCMA
 * stream (50 packets/s) and does not echo (what it receives is only counted).
 */
export const RTP_MODES = ['off', 'echo', 'send'] as const;
export type RtpMode = (typeof RTP_MODES)[number];

export interface Behaviour {
  /** What happens to a new INVITE (captured per call when the INVITE arrives). */
  readonly mode: Mode;
  /** Final response in `reject` mode (300–699). */
  readonly rejectCode: number;
  /** Delay from 180 to the final response (answer/reject/hangup). */
  readonly ringMs: number;
  /** `hangup` mode: the carrier sends BYE this long after the ACK; 0 = never. */
  readonly holdMs: number;
  /** Delay before the first response to an INVITE or OPTIONS. */
  readonly extraDelayMs: number;
  /** Percentage (0–100) of inbound SIP messages silently dropped, on every transport. */
  readonly dropPercent: number;
  /** Response to OPTIONS; 0 = never answer. */
  readonly optionsCode: number;
  /*
   * The RTP keys are optional so a carrier that never opted in looks exactly as before; absent means
   * the default (rtpSettings()). `rtp` is captured per call like `mode`; the two impairments are read
   * per packet, so a PATCH degrades calls already up (a media path that goes bad mid-call).
   */
  /** RTP behaviour, default `off`. */
  readonly rtp?: RtpMode;
  /** Percentage (0–100) of the RTP packets the carrier sends that it drops, default 0. */
  readonly rtpDropPercent?: number;
  /** Extra delay 0..N ms (uniform) per RTP packet sent; order is kept (no overtaking), default 0. */
  readonly rtpJitterMs?: number;
}

export type BehaviourPatch = Partial<Behaviour>;

export const DEFAULT_BEHAVIOUR: Behaviour = Object.freeze({
  mode: 'answer', rejectCode: 503, ringMs: 0, holdMs: 0, extraDelayMs: 0, dropPercent: 0, optionsCode: 200,
});

/** Delays are capped at 10 minutes: long enough for any drill, short enough that state stays bounded. */
const MAX_DELAY_MS = 600_000;

/** Jitter above a second is an outage, not jitter; the cap also bounds the per-call send queue. */
const MAX_JITTER_MS = 1000;

type NumericKey = Exclude<keyof Behaviour, 'mode' | 'rtp'>;
interface NumericRule { min: number; max: number; integer: boolean; extra?: (n: number) => string | undefined }

const NUMERIC: Readonly<Record<NumericKey, NumericRule>> = {
  rejectCode: { min: 300, max: 699, integer: true },
  ringMs: { min: 0, max: MAX_DELAY_MS, integer: true },
  holdMs: { min: 0, max: MAX_DELAY_MS, integer: true },
  extraDelayMs: { min: 0, max: MAX_DELAY_MS, integer: true },
  dropPercent: { min: 0, max: 100, integer: false },
  optionsCode: {
    min: 0, max: 699, integer: true,
    extra: (n) => (n !== 0 && n < 200 ? 'must be 0 (no response) or a final status 200–699' : undefined),
  },
  rtpDropPercent: { min: 0, max: 100, integer: false },
  rtpJitterMs: { min: 0, max: MAX_JITTER_MS, integer: true },
};

export const BEHAVIOUR_KEYS: readonly (keyof Behaviour)[] = ['mode', ...(Object.keys(NUMERIC) as NumericKey[]), 'rtp'];

/** The RTP keys with their defaults filled in. */
export function rtpSettings(b: Behaviour): { mode: RtpMode; dropPercent: number; jitterMs: number } {
  return { mode: b.rtp ?? 'off', dropPercent: b.rtpDropPercent ?? 0, jitterMs: b.rtpJitterMs ?? 0 };
}

export type PatchResult = { ok: true; patch: BehaviourPatch } | { ok: false; errors: string[] };

/** Check an untrusted value (parsed JSON, CLI pairs) as a behaviour patch; every problem is reported. */
export function validatePatch(input: unknown): PatchResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: ['a behaviour patch must be a JSON object, e.g. {"mode":"reject","rejectCode":503}'] };
  }
  const errors: string[] = [];
  const patch: { -readonly [K in keyof Behaviour]?: Behaviour[K] } = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === 'mode') {
      if (typeof value === 'string' && (MODES as readonly string[]).includes(value)) patch.mode = value as Mode;
      else errors.push(`mode: ${JSON.stringify(value)} is not one of ${MODES.join('|')}`);
      continue;
    }
    if (key === 'rtp') {
      if (typeof value === 'string' && (RTP_MODES as readonly string[]).includes(value)) patch.rtp = value as RtpMode;
      else errors.push(`rtp: ${JSON.stringify(value)} is not one of ${RTP_MODES.join('|')}`);
      continue;
    }
    const rule = (NUMERIC as Record<string, NumericRule | undefined>)[key];
    if (!rule) {
      errors.push(`unknown key "${key}" (allowed: ${BEHAVIOUR_KEYS.join(', ')})`);
      continue;
    }
    const problem = checkNumber(value, rule);
    if (problem) errors.push(`${key}: ${problem}`);
    else patch[key as NumericKey] = value as number;
  }
  return errors.length ? { ok: false, errors } : { ok: true, patch };
}

function checkNumber(value: unknown, rule: NumericRule): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${JSON.stringify(value)} is not a number`;
  if (rule.integer && !Number.isInteger(value)) return `${value} is not an integer`;
  if (value < rule.min || value > rule.max) return `${value} is out of range ${rule.min}–${rule.max}`;
  return rule.extra?.(value);
}

export function applyPatch(current: Behaviour, patch: BehaviourPatch): Behaviour {
  return Object.freeze({ ...current, ...patch });
}

/**
 * Audio by content for the real-UA tests: write a sine tone as a WAV file (what a UA sends) and
 * find the dominant frequency of what a UA recorded (a radix-2 FFT over half-second blocks). A
 * tone that crossed the relay and came out the other side is the proof the audio path works, not
 * a packet count.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** A mono 16-bit PCM WAV file of a sine tone (`amplitude` 0–1 of full scale). */
export function writeToneWav(file: string, hz: number, seconds: number, rate = 8000, amplitude = 0.3): void {
  const n = Math.round(seconds * rate);
  const data = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) data.writeInt16LE(Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * hz * i) / rate)), i * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  writeFileSync(file, Buffer.concat([h, data]));
}

export interface Wav {
  rate: number;
  channels: number;
  /** Samples of the first channel. */
  samples: Int16Array;
}

/**
 * A 16-bit PCM WAV file. A data chunk whose size field was never finalised (the writer was still
 * open, or killed) is read to the end of the file.
 */
export function readWav(file: string): Wav {
  const b = readFileSync(file);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${file}: not a WAV file`);
  let at = 12;
  let rate = 0;
  let channels = 0;
  let bits = 0;
  while (at + 8 <= b.length) {
    const id = b.toString('ascii', at, at + 4);
    const size = b.readUInt32LE(at + 4);
    if (id === 'fmt ') {
      channels = b.readUInt16LE(at + 10);
      rate = b.readUInt32LE(at + 12);
      bits = b.readUInt16LE(at + 22);
    } else if (id === 'data') {
      if (bits !== 16 || channels < 1) throw new Error(`${file}: ${bits}-bit × ${channels} channels, want 16-bit PCM`);
      const end = size === 0 || at + 8 + size > b.length ? b.length : at + 8 + size;
      const frames = Math.floor((end - at - 8) / (2 * channels));
      const samples = new Int16Array(frames);
      for (let i = 0; i < frames; i++) samples[i] = b.readInt16LE(at + 8 + i * 2 * channels);
      return { rate, channels, samples };
    }
    at += 8 + size + (size % 2);
  }
  throw new Error(`${file}: no data chunk`);
}

/** In-place iterative radix-2 FFT of (re, im); length must be a power of two. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(ang * k);
        const wi = Math.sin(ang * k);
        const ar = re[i + k + len / 2]! * wr - im[i + k + len / 2]! * wi;
        const ai = re[i + k + len / 2]! * wi + im[i + k + len / 2]! * wr;
        re[i + k + len / 2] = re[i + k]! - ar;
        im[i + k + len / 2] = im[i + k]! - ai;
        re[i + k] = re[i + k]! + ar;
        im[i + k] = im[i + k]! + ai;
      }
    }
  }
}

export interface BlockTone {
  /** Frequency of the strongest FFT bin (Hz). */
  hz: number;
  /** Share of the block's energy within ±3 bins of that peak (a pure tone is close to 1). */
  purity: number;
  rms: number;
}

/** The dominant frequency of one block of samples (Hann-windowed, zero-padded to a power of two). */
export function dominantTone(samples: ArrayLike<number>, rate: number): BlockTone {
  let n = 1;
  while (n < samples.length) n <<= 1;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  let sq = 0;
  for (let i = 0; i < samples.length; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / Math.max(1, samples.length - 1));
    re[i] = samples[i]! * w;
    sq += samples[i]! * samples[i]!;
  }
  fft(re, im);
  let peak = 1;
  let total = 0;
  const power = new Float64Array(n / 2);
  for (let k = 1; k < n / 2; k++) {
    power[k] = re[k]! * re[k]! + im[k]! * im[k]!;
    total += power[k]!;
    if (power[k]! > power[peak]!) peak = k;
  }
  let near = 0;
  for (let k = Math.max(1, peak - 3); k <= Math.min(n / 2 - 1, peak + 3); k++) near += power[k]!;
  return { hz: (peak * rate) / n, purity: total > 0 ? near / total : 0, rms: Math.sqrt(sq / Math.max(1, samples.length)) };
}

export interface ToneReport {
  /** Half-second blocks analysed, and those too quiet to judge (silence, comfort noise). */
  blocks: number;
  silent: number;
  /** Of the audible blocks: how many have `expectHz` (±toleranceHz) as their dominant frequency. */
  matching: number;
  /** Median dominant frequency of the audible blocks (0 when none). */
  medianHz: number;
  /** Median purity of the audible blocks. */
  medianPurity: number;
  seconds: number;
}

const median = (xs: number[]): number => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : 0);

/** Splits a recording into half-second blocks and checks which carry `expectHz` as their dominant tone. */
export function analyseTone(wav: Wav, expectHz: number, toleranceHz = 15, silenceRms = 300): ToneReport {
  const size = Math.round(wav.rate / 2);
  const tones: BlockTone[] = [];
  let blocks = 0;
  let silent = 0;
  for (let at = 0; at + size <= wav.samples.length; at += size) {
    blocks++;
    const tone = dominantTone(wav.samples.subarray(at, at + size), wav.rate);
    if (tone.rms < silenceRms) silent++;
    else tones.push(tone);
  }
  return {
    blocks, silent,
    matching: tones.filter((x) => Math.abs(x.hz - expectHz) <= toleranceHz).length,
    medianHz: median(tones.map((x) => x.hz)),
    medianPurity: median(tones.map((x) => x.purity)),
    seconds: wav.samples.length / wav.rate,
  };
}

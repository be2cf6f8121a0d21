/** A small seedable PRNG (mulberry32) so loss patterns can be reproduced in tests. */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** True for roughly `percent` % of calls. */
export const shouldDrop = (rand: Random, percent: number): boolean => percent > 0 && rand() * 100 < percent;

/** Progress output for the benchmark runner: every line stamped with seconds since the run began. */
const started = Date.now();

export function say(msg: string): void {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Await `work`, printing `label` with the elapsed time (and `status()`, when given) every `everyMs`,
 * so a long step never sits silent.
 */
export async function withProgress<T>(label: string, work: Promise<T>, status?: () => string, everyMs = 5000): Promise<T> {
  const t0 = Date.now();
  const timer = setInterval(() => say(`  … ${label}: ${Math.round((Date.now() - t0) / 1000)} s${status ? `, ${status()}` : ''}`), everyMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

/** Polling for tests: true as soon as `what` resolves true (a rejection counts as not yet), false after `timeoutMs`. */
export async function waitFor(what: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await what().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return false;
}

export const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The synchronous form: poll `cond` every `stepMs` until it holds (→ true) or `ms` have passed (→ its last value). */
export async function until(cond: () => boolean, ms: number, stepMs = 20): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await wait(stepMs);
  }
  return cond();
}

/** Polling for tests: true as soon as `what` resolves true (a rejection counts as not yet), false after `timeoutMs`. */
export async function waitFor(what: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await what().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return false;
}

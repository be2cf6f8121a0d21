/**
 * Test-only hooks, installed when TRUNKWISE_TEST_HOOKS=1 (never in production): SIGUSR2 blocks the
 * event loop for TRUNKWISE_TEST_STALL_MS (default 1500) with a busy loop — the edge itself being
 * slow, as under overload — so tests can show that such delay is not charged to carriers.
 */
export function installTestHooks(env: NodeJS.ProcessEnv, log: (msg: string) => void): void {
  if (env.TRUNKWISE_TEST_HOOKS !== '1') return;
  const ms = Number(env.TRUNKWISE_TEST_STALL_MS ?? 1500);
  process.on('SIGUSR2', () => {
    log(`test hook: blocking the event loop for ${ms} ms`);
    const until = Date.now() + ms;
    while (Date.now() < until) {
      /* busy: nothing else runs */
    }
  });
}

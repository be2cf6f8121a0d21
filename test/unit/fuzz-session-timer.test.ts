/**
 * Found by the mutation fuzzer (npm run fuzz, numericEdge on Session-Expires): a Session-Expires of
 * 2^31 s or more made the session timer's delay overflow Node's 32-bit timer range, which Node turns
 * into 1 ms (TimeoutOverflowWarning, "Timeout duration was set to 1") — the timer fired at once.
 */
import t from 'tap';
import { timerDelayMs } from '../../src/engine/core/session-timer';

const NODE_MAX_TIMER_MS = 2 ** 31 - 1;

t.test('a huge Session-Expires never yields a delay Node would cut to 1 ms', async (t) => {
  for (const sec of [2 ** 31, 4294967296, 9007199254740993, 1e21]) {
    for (const weRefresh of [true, false]) {
      const ms = timerDelayMs(sec, weRefresh);
      t.ok(ms <= NODE_MAX_TIMER_MS, `${sec} s, weRefresh=${weRefresh}: ${ms} ms fits a Node timer`);
      t.ok(ms >= 86_400_000, `${sec} s, weRefresh=${weRefresh}: still at least a day away`);
    }
  }
  t.equal(timerDelayMs(1800, true), 900_000, 'ordinary values unchanged (refresher: half)');
  t.equal(timerDelayMs(90, false), 60_000, 'ordinary values unchanged (other side: before expiry)');
});

/**
 * The Lua scripts that make the shared caps and the leadership atomic. Times come from the Redis
 * server (TIME), so edges whose clocks disagree still agree on when a lease or a start expires.
 */
import { createHash } from 'node:crypto';

export interface Script {
  readonly text: string;
  readonly sha: string;
}

function script(text: string): Script {
  return { text, sha: createHash('sha1').update(text).digest('hex') };
}

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * KEYS: calls (zset lease → expiry), starts (zset lease → start time).
 * ARGV: lease id, maxConcurrent (-1 = none), maxCps (-1 = none), lease ms.
 * Returns 'ok' | 'max-concurrent' | 'max-cps'.
 */
export const ACQUIRE = script(`${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local maxc = tonumber(ARGV[2])
if maxc >= 0 and redis.call('ZCARD', KEYS[1]) >= maxc then return 'max-concurrent' end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 1000)
local maxcps = tonumber(ARGV[3])
if maxcps >= 0 and redis.call('ZCARD', KEYS[2]) >= maxcps then return 'max-cps' end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[1])
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]) * 2)
redis.call('PEXPIRE', KEYS[2], 2000)
return 'ok'`);

/** KEYS: calls. ARGV: lease ms, lease ids… — (re)sets each lease's expiry; re-adds leases a restarted Redis lost. */
export const RENEW = script(`${NOW}
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) * 2)
return #ARGV - 1`);

/** KEYS: calls. Live leases. */
export const IN_USE = script(`${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])`);

/** KEYS: leader key. ARGV: who, ttl ms. 1 when `who` holds (took or renewed) the lease. */
export const LEAD = script(`local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not cur then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`);

/** KEYS: leader key. ARGV: who. Deletes it only when `who` holds it. */
export const RESIGN = script(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

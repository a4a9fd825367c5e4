import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { systemClock, type Clock } from '../../lib/clock.ts';
import {
  checkUnits,
  createMemoryRateLimiter,
  toDecision,
  toUsage,
  windowMsFor,
  type RateLimiter,
  type WindowState,
} from './rate-limiter.ts';
import { createCircuitBreaker } from './circuit-breaker.ts';
import { createSilenceWatch, withDeadline } from './silence-watch.ts';
import { inRedisSpan, redisTarget } from '../../observability/redis-spans.ts';

export interface RateLimiterLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface RedisRateLimiterOptions {
  url: string;
  clock?: Clock;
  keyPrefix?: string;
  /** Used for any check Redis cannot answer; defaults to a memory limiter on the same clock. */
  fallback?: RateLimiter;
  logger?: RateLimiterLogger;
  /**
   * How long Redis may stay silent (no reply to any command) while commands wait before a PING on
   * a second connection asks whether it is alive; only if that fails too does the breaker open.
   * A busy Redis answers, so a slow reply under load never sends a request to the fallback.
   */
  silenceMs?: number;
  /** Consecutive failed commands that open the breaker. */
  failureThreshold?: number;
  /** While the breaker is open, how often one PING asks whether Redis is back. */
  probeIntervalMs?: number;
  /**
   * ioredis auto-pipelining (default on): checks issued in the same tick reach Redis in one write,
   * which halved Redis CPU per check and tripled checks/s under concurrency (`npm run bench:limiter`).
   */
  autoPipelining?: boolean;
  /** A span per check made inside a traced request (config.tracing). */
  traced?: boolean;
}

/*
 * One atomic check: the same algorithm as rate-limiter.ts (see the comment there), a constant
 * number of hash operations per check (amortized: a bucket is written at the tail and deleted
 * from the head once each).
 * KEYS[1] = limiter hash. Fields: window (ms), used (the running total), head and tail (sequence
 * numbers of the oldest and newest bucket), and the newest bucket, still open, as index (its
 * bucket index), count and last (ms of its last request). Closed buckets are fields named by
 * their sequence number, valued "count:last".
 * ARGV = now ms, window ms, limit, cost (0 = peek; n >= 1: count up to n requests, as many as the
 * quota holds, as n checks in a row would).
 * A consume with a different window than the stored one starts the key afresh; a peek with a
 * different window only reports it empty, so a mistaken peek can never reset a live limit.
 * The time comes from the caller, not from Redis TIME: tests drive it with a manual clock, and
 * instances agree as long as their clocks are synced (NTP).
 * Returns { requests counted (0..cost), used, ms until more quota is available (-1: nothing counted) }.
 */
export const RATE_LIMIT_SCRIPT = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local function int(x) return string.format('%d', x) end

local stored = redis.call('HMGET', key, 'window', 'used', 'head', 'tail', 'index', 'count', 'last')
local used, head, tail, index, count, last = 0, 1, 0, 0, 0, 0
if stored[1] then
  if tonumber(stored[1]) ~= window then
    if cost == 0 then return { 0, 0, -1 } end
    redis.call('DEL', key)
  elseif tonumber(stored[7]) + window <= now then
    redis.call('DEL', key)
  else
    used, head, tail = tonumber(stored[2]), tonumber(stored[3]), tonumber(stored[4])
    index, count, last = tonumber(stored[5]), tonumber(stored[6]), tonumber(stored[7])
  end
end

local readSeq, readCount, readLast
local function bucket(seq)
  if seq == tail then return count, last end
  if seq ~= readSeq then
    local c, l = string.match(redis.call('HGET', key, seq), '^(%d+):(%d+)$')
    readSeq, readCount, readLast = seq, tonumber(c), tonumber(l)
  end
  return readCount, readLast
end

local expired = false
while head < tail do
  local c, l = bucket(head)
  if l + window > now then break end
  redis.call('HDEL', key, head)
  used = used - c
  head = head + 1
  expired = true
end

local granted = 0
if cost > 0 and used < limit then
  granted = math.min(cost, limit - used)
  used = used + granted
  local current = math.floor(now * 60 / window)
  if tail > 0 and current <= index then
    count, last = count + granted, math.max(now, last)
    if expired then
      redis.call('HSET', key, 'used', used, 'head', head, 'count', count, 'last', int(last))
    else
      redis.call('HSET', key, 'used', used, 'count', count, 'last', int(last))
    end
  else
    if tail > 0 then
      redis.call('HSET', key, tail, int(count) .. ':' .. int(last))
      last = math.max(now, last)
    else
      last = now
    end
    tail, index, count = tail + 1, current, granted
    redis.call('HSET', key, 'window', ARGV[2], 'used', used, 'head', head, 'tail', tail,
      'index', int(index), 'count', count, 'last', int(last))
  end
  redis.call('PEXPIRE', key, int(last + window - now))
elseif expired then
  redis.call('HSET', key, 'used', used, 'head', head)
end

local wait = -1
if used > 0 then
  if limit == 0 then
    wait = window
  else
    local seq, left, c, l = head, used, 0, 0
    repeat
      c, l = bucket(seq)
      left = left - c
      seq = seq + 1
    until left < limit or seq > tail
    wait = l + window - now
  end
end
return { granted, used, wait }
`;

const LOG_EVERY_MS = 10_000;
/** How long a liveness PING (on its own connection) may take before Redis counts as gone. */
const PING_DEADLINE_MS = 1_000;
/** Silence on the command connection after which it counts as gone even if PINGs are answered (a half-open connection). */
const MAX_SILENCE_MS = 10_000;

interface LimiterClient extends Redis {
  faroRateLimit(key: string, nowMs: number, windowMs: number, limit: number, cost: number): Promise<unknown>;
}

function parseReply(reply: unknown): { granted: number; state: WindowState } {
  if (!Array.isArray(reply) || reply.length !== 3) throw new Error(`unexpected rate-limit script reply: ${String(reply)}`);
  const [granted, used, waitMs] = reply.map(Number) as [number, number, number];
  return { granted, state: { used, waitMs: waitMs < 0 ? null : waitMs } };
}

/** Used only when no logger is given: one JSON line on stderr, like pino would write. */
function stderrLine(level: string, obj: object, msg: string): void {
  const fields = Object.fromEntries(
    Object.entries(obj).map(([k, v]) => [k, v instanceof Error ? { message: v.message, stack: v.stack } : v]),
  );
  process.stderr.write(`${JSON.stringify({ level, time: Date.now(), ...fields, msg })}\n`);
}
const stderrLogger: RateLimiterLogger = {
  error: (obj, msg) => stderrLine('error', obj, msg),
  warn: (obj, msg) => stderrLine('warn', obj, msg),
};


class BreakerOpen extends Error {
  override name = 'BreakerOpen';
}

/**
 * The shared limiter. Healthy: every check is one atomic script on Redis, and it waits for the
 * answer however busy Redis or this process is, so instances together never admit more than
 * the limit. Only when Redis is really gone (connection refused or lost, or silent — frozen)
 * does the breaker open: checks then go straight to the in-memory limiter (per-instance limits)
 * until a probe finds Redis again.
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const clock = options.clock ?? systemClock;
  const keyPrefix = options.keyPrefix ?? '';
  const logger = options.logger ?? stderrLogger;
  const ownsFallback = options.fallback === undefined;
  const fallback = options.fallback ?? createMemoryRateLimiter({ clock });
  const silenceMs = options.silenceMs ?? 500;

  // No offline queue and no resends: while disconnected a check fails at once (and falls back)
  // instead of queueing, and a command cut off by a reconnect is never counted twice.
  const client = new Redis(options.url, {
    connectTimeout: 1_000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (times) => Math.min(times * 100, 1_000),
    enableAutoPipelining: options.autoPipelining ?? true,
    scripts: { faroRateLimit: { lua: RATE_LIMIT_SCRIPT, numberOfKeys: 1 } },
  }) as LimiterClient;

  // A second connection answers "is Redis alive?" without queueing behind our own commands.
  const prober = new Redis(options.url, { connectTimeout: 1_000, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: (times) => Math.min(times * 100, 1_000) });
  prober.on('error', () => undefined);
  const ping = () => withDeadline(prober.ping(), PING_DEADLINE_MS, 'Redis PING');

  let lastReminderMs = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  const breaker = createCircuitBreaker({
    failureThreshold: options.failureThreshold ?? 3,
    probeIntervalMs: options.probeIntervalMs ?? 500,
    probe: ping,
    onOpen(err, during) {
      lastReminderMs = Date.now();
      suppressed = 0;
      logger.error({ err, during }, 'RATE LIMITER: Redis unavailable, using the in-memory fallback (limits are per instance until Redis is back)');
    },
    onClose(openForMs) {
      logger.warn({ openForMs, checksServedFromMemory: suppressed }, 'RATE LIMITER: Redis is back, shared limits restored');
    },
    onProbeFailed(err) {
      if (Date.now() - lastReminderMs < LOG_EVERY_MS) return;
      lastReminderMs = Date.now();
      logger.error({ err, checksServedFromMemory: suppressed }, 'RATE LIMITER: Redis still unavailable, limits are per instance');
    },
  });
  const silence = createSilenceWatch({
    silenceMs,
    maxSilenceMs: MAX_SILENCE_MS,
    isUnreachable: () => ping().then(() => false, () => true),
    onSilent: (err) => breaker.trip(err, 'silence'),
  });

  // Without a listener ioredis prints every reconnect error; a failed connect counts as a failure.
  client.on('error', (err: unknown) => {
    if (client.status !== 'ready') breaker.failure(err, 'connection');
  });

  // Without the offline queue, checks made before the first connection completes would all fall
  // back; wait for it once, briefly.
  let started = false;
  const startup = Promise.race([
    new Promise<void>((resolve) => client.once('ready', () => resolve())),
    delay(1_000, undefined, { ref: false }),
  ]).then(() => {
    started = true;
  });

  const untracedScript = (key: string, nowMs: number, windowMs: number, limit: number, cost: number) =>
    client.faroRateLimit(`${keyPrefix}rl:{${key}}`, nowMs, windowMs, limit, cost);
  const target = options.traced ? redisTarget(options.url) : undefined;
  const script: typeof untracedScript = target
    ? (...args) => inRedisSpan('EVALSHA', target, () => untracedScript(...args))
    : untracedScript;

  async function run(key: string, limit: number, windowMs: number, nowMs: number, cost: number) {
    if (!started) await startup;
    if (breaker.isOpen) throw new BreakerOpen();
    try {
      const reply = await silence.watch(script(key, nowMs, windowMs, limit, cost));
      breaker.success();
      return parseReply(reply);
    } catch (err) {
      breaker.failure(err, cost > 0 ? 'consume' : 'peek');
      throw err;
    }
  }

  return {
    backend: () => (breaker.isOpen ? 'memory' : 'redis'),

    async consume(key, limit, windowSeconds, units = 1) {
      const windowMs = windowMsFor(limit, windowSeconds);
      checkUnits(units);
      const nowMs = clock.now().getTime();
      try {
        const { granted, state } = await run(key, limit, windowMs, nowMs, units);
        return toDecision(granted, limit, windowMs, state);
      } catch {
        suppressed += 1;
        return fallback.consume(key, limit, windowSeconds, units);
      }
    },

    async peek(key, limit, windowSeconds) {
      const windowMs = windowMsFor(limit, windowSeconds);
      const nowMs = clock.now().getTime();
      try {
        const { state } = await run(key, limit, windowMs, nowMs, 0);
        return toUsage(limit, windowMs, state);
      } catch {
        return fallback.peek(key, limit, windowSeconds);
      }
    },

    async close() {
      breaker.close();
      silence.stop();
      prober.disconnect();
      client.removeAllListeners('error');
      client.on('error', () => {});
      try {
        if (client.status === 'ready') await client.quit();
        else client.disconnect();
      } catch {
        client.disconnect();
      }
      if (ownsFallback) await fallback.close();
    },
  };
}

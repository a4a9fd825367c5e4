import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { systemClock, type Clock } from '../../lib/clock.ts';
import {
  checkUnits,
  createMemoryRateLimiter,
  toDecision,
  toUsage,
  windowMsFor,
  type Lease,
  type LeaseRequest,
  type LeasingRateLimiter,
  type RateLimitDecision,
  type RateLimiter,
  type WindowState,
} from './rate-limiter.ts';
import { RATE_LIMIT_SCRIPT, RETURN_LEASE_SCRIPT } from './redis-rate-limit-scripts.ts';
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


const LOG_EVERY_MS = 10_000;
/** How long a liveness PING (on its own connection) may take before Redis counts as gone. */
const PING_DEADLINE_MS = 1_000;
/** Silence on the command connection after which it counts as gone even if PINGs are answered (a half-open connection). */
const MAX_SILENCE_MS = 10_000;

interface LimiterClient extends Redis {
  faroRateLimit(key: string, ...args: number[]): Promise<unknown>;
  faroReturnLease(key: string, windowMs: number, bucket: number, units: number, nowMs: number, leaseEndMs: number): Promise<unknown>;
}

interface ScriptReply {
  granted: number;
  state: WindowState;
  leased: number;
  bucket: number;
}

function parseReply(reply: unknown): ScriptReply {
  if (!Array.isArray(reply) || reply.length !== 5) throw new Error(`unexpected rate-limit script reply: ${String(reply)}`);
  const [granted, used, waitMs, leased, bucket] = reply.map(Number) as [number, number, number, number, number];
  return { granted, state: { used, waitMs: waitMs < 0 ? null : waitMs }, leased, bucket };
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
export function createRedisRateLimiter(options: RedisRateLimiterOptions): LeasingRateLimiter {
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
    scripts: {
      faroRateLimit: { lua: RATE_LIMIT_SCRIPT, numberOfKeys: 1 },
      faroReturnLease: { lua: RETURN_LEASE_SCRIPT, numberOfKeys: 1 },
    },
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

  const hashKey = (key: string) => `${keyPrefix}rl:{${key}}`;
  const untracedScript = (key: string, ...args: number[]) => client.faroRateLimit(hashKey(key), ...args);
  const target = options.traced ? redisTarget(options.url) : undefined;
  const script: typeof untracedScript = target
    ? (...args) => inRedisSpan('EVALSHA', target, () => untracedScript(...args))
    : untracedScript;

  async function run(key: string, limit: number, windowMs: number, nowMs: number, cost: number, lease?: LeaseRequest): Promise<ScriptReply> {
    if (!started) await startup;
    if (breaker.isOpen) throw new BreakerOpen();
    try {
      const args = lease ? [nowMs, windowMs, limit, cost, lease.units, lease.holdMs, lease.keepFree] : [nowMs, windowMs, limit, cost];
      const reply = await silence.watch(script(key, ...args));
      breaker.success();
      return parseReply(reply);
    } catch (err) {
      breaker.failure(err, cost > 0 ? 'consume' : 'peek');
      throw err;
    }
  }

  /** A consume, with a lease when one is asked for (`wanted`) and granted. */
  async function take(key: string, limit: number, windowSeconds: number, units: number, wanted?: LeaseRequest): Promise<{ decision: RateLimitDecision; lease: Lease | null }> {
    const windowMs = windowMsFor(limit, windowSeconds);
    checkUnits(units);
    const nowMs = clock.now().getTime();
    let reply: ScriptReply;
    try {
      reply = await run(key, limit, windowMs, nowMs, units, wanted);
    } catch {
      // Units are only leased from the shared count: on the fallback each request is checked.
      suppressed += 1;
      return { decision: await fallback.consume(key, limit, windowSeconds, units), lease: null };
    }
    const lease = wanted && reply.leased > 0 ? { units: reply.leased, expiresAtMs: nowMs + wanted.holdMs, bucket: reply.bucket } : null;
    return { decision: toDecision(reply.granted, limit, windowMs, reply.state), lease };
  }

  return {
    backend: () => (breaker.isOpen ? 'memory' : 'redis'),

    async consume(key, limit, windowSeconds, units = 1) {
      return (await take(key, limit, windowSeconds, units)).decision;
    },

    consumeAndLease: take,

    async returnLease(key, windowSeconds, lease, units) {
      // A lease that cannot be given back (Redis away) stays counted: never more than the limit.
      if (breaker.isOpen) return;
      await client.faroReturnLease(hashKey(key), windowSeconds * 1000, lease.bucket, units, clock.now().getTime(), lease.expiresAtMs);
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

import { randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../lib/clock.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { createRedisRateLimiter } from './redis-rate-limiter.ts';

const redisUrl = process.env.TEST_REDIS_URL;
const prefix = `test:rrl:${randomUUID()}:`;
const START = Date.UTC(2026, 0, 5, 9);

function recordingLogger() {
  const errors: { obj: object; msg: string }[] = [];
  const warnings: { obj: object; msg: string }[] = [];
  return {
    errors,
    warnings,
    error: (obj: object, msg: string) => errors.push({ obj, msg }),
    warn: (obj: object, msg: string) => warnings.push({ obj, msg }),
  };
}

const open: RateLimiter[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()));
});

describe('redis rate limiter without Redis', () => {
  it('answers from the fallback, logs loudly at most every 10 s, never throws', async () => {
    const clock = createManualClock(new Date(START));
    const logger = recordingLogger();
    const limiter = createRedisRateLimiter({ url: 'redis://127.0.0.1:1', clock, keyPrefix: prefix, logger });
    open.push(limiter);

    const decisions = [];
    for (let i = 0; i < 4; i += 1) decisions.push(await limiter.consume('k', 3, 3600));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(decisions[3]).toMatchObject({ remaining: 0, retryAfterSeconds: 3660 });
    expect(await limiter.peek('k', 3, 3600)).toMatchObject({ used: 3, remaining: 0 });

    expect(logger.errors).toHaveLength(1);
    expect(logger.errors[0]?.msg).toMatch(/Redis unavailable/);
    expect(logger.errors[0]?.obj).toHaveProperty('err');

    clock.advance(10_000);
    await limiter.consume('k', 3, 3600);
    expect(logger.errors).toHaveLength(2);
    expect(logger.errors[1]?.obj).toMatchObject({ suppressedSinceLastLog: expect.any(Number) });
  });

  it('uses the fallback it is given', async () => {
    const calls: string[] = [];
    const fallback: RateLimiter = {
      consume: async (key, limit) => (calls.push(`consume:${key}`), { allowed: true, limit, remaining: 7, resetSeconds: 0, retryAfterSeconds: null }),
      peek: async (key, limit, windowSeconds) => (calls.push(`peek:${key}`), { limit, used: 0, remaining: limit, resetSeconds: 0, windowSeconds }),
      close: async () => void calls.push('close'),
    };
    const limiter = createRedisRateLimiter({ url: 'redis://127.0.0.1:1', fallback, logger: recordingLogger() });
    expect((await limiter.consume('a', 10, 60)).remaining).toBe(7);
    await limiter.peek('a', 10, 60);
    await limiter.close();
    expect(calls).toEqual(['consume:a', 'peek:a']); // a fallback passed in belongs to the caller
  });
});

/** A TCP relay to Redis that the test can cut and restore, to simulate an outage. */
function createRelay(target: URL) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  return {
    url: () => `redis://127.0.0.1:${port}`,
    async start() {
      server = createServer((client) => {
        const upstream = connect(Number(target.port || 6379), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('error', () => s.destroy());
          s.on('close', () => sockets.delete(s));
        }
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      await new Promise<void>((resolve) => (server as Server).listen(port, '127.0.0.1', resolve));
      const address = server.address();
      if (address && typeof address === 'object') port = address.port;
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}

describe.runIf(redisUrl)('redis rate limiter on Redis', () => {
  const url = redisUrl as string;
  const admin = redisUrl ? new Redis(url) : undefined;
  afterAll(async () => {
    if (!admin) return;
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  it('two instances on one Redis share the count under concurrent load', async () => {
    const clock = createManualClock(new Date(START));
    const logger = recordingLogger();
    const a = createRedisRateLimiter({ url, clock, keyPrefix: prefix, logger });
    const b = createRedisRateLimiter({ url, clock, keyPrefix: prefix, logger });
    open.push(a, b);
    const limit = 200;
    const key = `key_${randomUUID()}`;
    const decisions = await Promise.all(Array.from({ length: 2 * limit }, (_, i) => (i % 2 === 0 ? a : b).consume(key, limit, 3600)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(limit);
    expect(logger.errors).toEqual([]);
    expect(await a.peek(key, limit, 3600)).toMatchObject({ used: limit, remaining: 0 });
  });

  it('stores one hash-tagged key per limiter key that expires just over a window', async () => {
    const clock = createManualClock(new Date(START));
    const limiter = createRedisRateLimiter({ url, clock, keyPrefix: prefix, logger: recordingLogger() });
    open.push(limiter);
    const key = `key_${randomUUID()}`;
    await limiter.consume(key, 10, 3600);
    clock.advance(5 * 60_000);
    await limiter.consume(key, 10, 3600);
    const redisKey = `${prefix}rl:{${key}}`;
    const hash = await (admin as Redis).hgetall(redisKey);
    const bucket = Math.floor(START / 60_000);
    expect(hash).toEqual({ [String(bucket)]: '1', [String(bucket + 5)]: '1', w: '3600000' });
    const ttl = await (admin as Redis).pttl(redisKey);
    expect(ttl).toBeGreaterThan(3_600_000);
    expect(ttl).toBeLessThanOrEqual(3_720_000);

    // Stale buckets are dropped on the next check.
    clock.advance(61 * 60_000);
    await limiter.consume(key, 10, 3600);
    expect(Object.keys(await (admin as Redis).hgetall(redisKey)).sort()).toEqual([String(bucket + 66), 'w']);
  });

  it('falls back during an outage and returns to Redis when it is back', async () => {
    const relay = createRelay(new URL(url));
    await relay.start();
    const clock = createManualClock(new Date(START));
    const logger = recordingLogger();
    const limiter = createRedisRateLimiter({ url: relay.url(), clock, keyPrefix: prefix, logger });
    open.push(limiter);
    const key = `key_${randomUUID()}`;
    const redisKey = `${prefix}rl:{${key}}`;

    expect((await limiter.consume(key, 10, 3600)).remaining).toBe(9);
    expect(logger.errors).toEqual([]);

    await relay.stop();
    const during = await limiter.consume(key, 10, 3600);
    expect(during).toMatchObject({ allowed: true, remaining: 9 }); // the fallback's own count
    expect(logger.errors.length).toBeGreaterThanOrEqual(1);
    expect(await (admin as Redis).hget(redisKey, String(Math.floor(START / 60_000)))).toBe('1');

    await relay.start(); // same port
    const deadline = Date.now() + 5_000;
    while (logger.warnings.length === 0 && Date.now() < deadline) {
      await limiter.peek(key, 10, 3600);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(logger.warnings[0]?.msg).toMatch(/Redis is back/);
    expect((await limiter.consume(key, 10, 3600)).remaining).toBe(8);
    expect(await (admin as Redis).hget(redisKey, String(Math.floor(START / 60_000)))).toBe('2');
    await limiter.close();
    await relay.stop();
  }, 15_000);
});

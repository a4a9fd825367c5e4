import { randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../lib/clock.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { createRedisRateLimiter } from './redis-rate-limiter.ts';
import { startOwnRedis } from '../../../test/support/redis-server.ts';

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
  it('answers from the fallback, opens its breaker once, never throws', async () => {
    const clock = createManualClock(new Date(START));
    const logger = recordingLogger();
    const limiter = createRedisRateLimiter({ url: 'redis://127.0.0.1:1', clock, keyPrefix: prefix, logger });
    open.push(limiter);

    const decisions = [];
    for (let i = 0; i < 4; i += 1) decisions.push(await limiter.consume('k', 3, 3600));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(decisions[3]).toMatchObject({ remaining: 0, retryAfterSeconds: 3600 });
    expect(await limiter.peek('k', 3, 3600)).toMatchObject({ used: 3, remaining: 0 });

    expect(limiter.backend()).toBe('memory');
    expect(logger.errors).toHaveLength(1);
    expect(logger.errors[0]?.msg).toMatch(/Redis unavailable/);
    expect(logger.errors[0]?.obj).toHaveProperty('err');
    expect(logger.warnings).toEqual([]);
  });

  it('uses the fallback it is given', async () => {
    const calls: string[] = [];
    const fallback: RateLimiter = {
      consume: async (key, limit) => (calls.push(`consume:${key}`), { allowed: true, granted: 1, limit, remaining: 7, resetSeconds: 0, retryAfterSeconds: null }),
      peek: async (key, limit, windowSeconds) => (calls.push(`peek:${key}`), { limit, used: 0, remaining: limit, resetSeconds: 0, windowSeconds }),
      backend: () => 'memory',
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

  it('stores one hash-tagged key per limiter key: a running total and a queue of buckets, expiring with its newest request', async () => {
    const clock = createManualClock(new Date(START));
    const limiter = createRedisRateLimiter({ url, clock, keyPrefix: prefix, logger: recordingLogger() });
    open.push(limiter);
    const key = `key_${randomUUID()}`;
    await limiter.consume(key, 10, 3600);
    clock.advance(5 * 60_000);
    await limiter.consume(key, 10, 3600);
    await limiter.consume(key, 10, 3600);
    const redisKey = `${prefix}rl:{${key}}`;
    const bucket = Math.floor(START / 60_000);
    // Bucket 1 (closed) holds "count:last"; bucket 2 is the open one.
    expect(await (admin as Redis).hgetall(redisKey)).toEqual({
      window: '3600000', used: '3', head: '1', tail: '2',
      1: `1:${START}`, index: String(bucket + 5), count: '2', last: String(START + 300_000),
    });
    const ttl = await (admin as Redis).pttl(redisKey);
    expect(ttl).toBeGreaterThan(3_590_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);

    // The first bucket leaves one hour after its request; the total follows.
    clock.set(new Date(START + 3_600_000));
    expect(await limiter.peek(key, 10, 3600)).toMatchObject({ used: 2, resetSeconds: 300 });
    expect(await (admin as Redis).hmget(redisKey, 'used', 'head', 'tail', '1')).toEqual(['2', '2', '2', null]);
    // Idle for a whole window after its newest request: the key starts afresh.
    clock.set(new Date(START + 3_900_000));
    expect(await limiter.consume(key, 10, 3600)).toMatchObject({ allowed: true, remaining: 9, resetSeconds: 3600 });
    expect(await (admin as Redis).hmget(redisKey, 'used', 'head', 'tail', 'count')).toEqual(['1', '1', '1', '1']);
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
    // Failed reconnects open the breaker, which says so once.
    await until(() => limiter.backend() === 'memory', 'the breaker to open');
    expect(logger.errors).toHaveLength(1);
    expect(await (admin as Redis).hget(redisKey, 'used')).toBe('1');

    await relay.start(); // same port
    const deadline = Date.now() + 5_000;
    while (logger.warnings.length === 0 && Date.now() < deadline) {
      await limiter.peek(key, 10, 3600);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(logger.warnings.map((w) => w.msg)).toEqual([expect.stringMatching(/Redis is back/)]);
    expect(limiter.backend()).toBe('redis');
    expect((await limiter.consume(key, 10, 3600)).remaining).toBe(8);
    expect(await (admin as Redis).hget(redisKey, 'used')).toBe('2');
    await limiter.close();
    await relay.stop();
  }, 15_000);
});

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.runIf(redisUrl)('redis rate limiter: slow is not down, frozen is', () => {
  it('waits for a reply the event loop was too busy to read, instead of falling back', async () => {
    const logger = recordingLogger();
    const limiter = createRedisRateLimiter({ url: redisUrl as string, keyPrefix: prefix, logger, silenceMs: 100 });
    open.push(limiter);
    const key = `key_${randomUUID()}`;
    await limiter.consume(key, 5, 3600);

    // The reply arrives while this process is busy for 10× the silence threshold.
    const pending = limiter.consume(key, 5, 3600);
    const busyUntil = performance.now() + 1_000;
    while (performance.now() < busyUntil) {
      // block the event loop
    }
    expect(await pending).toMatchObject({ allowed: true, remaining: 3 });
    expect(limiter.backend()).toBe('redis');
    expect(logger.errors).toEqual([]);
  });

  it('a Redis that answers slowly but answers a PING is waited for, however long the silence', async () => {
    // A relay that holds the script's replies (arrays) for 1.5 s: the command connection goes
    // silent for far longer than the threshold, while the liveness PING is answered at once.
    const target = new URL(redisUrl as string);
    const sockets = new Set<Socket>();
    const server = createServer((client) => {
      const upstream = connect(Number(target.port || 6379), target.hostname);
      client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        if (chunk[0] === 0x2a /* '*' */) setTimeout(() => client.write(chunk), 1_500);
        else client.write(chunk);
      });
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => s.destroy());
      }
      client.on('close', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const logger = recordingLogger();
      const port = (server.address() as { port: number }).port;
      const limiter = createRedisRateLimiter({ url: `redis://127.0.0.1:${port}`, keyPrefix: prefix, logger, silenceMs: 100 });
      open.push(limiter);
      const key = `key_${randomUUID()}`;
      const decisions = await Promise.all(Array.from({ length: 5 }, () => limiter.consume(key, 3, 3600)));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(3);
      expect(limiter.backend()).toBe('redis');
      expect(logger.errors).toEqual([]);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 20_000);

  it('a burst of 2,000 concurrent checks on one instance admits exactly the limit', async () => {
    const logger = recordingLogger();
    const limiter = createRedisRateLimiter({ url: redisUrl as string, keyPrefix: prefix, logger });
    open.push(limiter);
    const key = `key_${randomUUID()}`;
    const decisions = await Promise.all(Array.from({ length: 2_000 }, () => limiter.consume(key, 500, 3600)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(500);
    expect(logger.errors).toEqual([]);
  });

  it('a frozen Redis opens the breaker: checks are served from memory, and its return is logged once', async () => {
    const redis = await startOwnRedis();
    try {
      const logger = recordingLogger();
      const limiter = createRedisRateLimiter({ url: redis.url, keyPrefix: prefix, logger, silenceMs: 200, probeIntervalMs: 100 });
      open.push(limiter);
      const key = `key_${randomUUID()}`;
      expect(await limiter.consume(key, 100, 3600)).toMatchObject({ allowed: true, remaining: 99 });

      redis.freeze();
      // Waiting checks are abandoned to the fallback when Redis stays silent; then the breaker is open.
      const during = await Promise.all(Array.from({ length: 20 }, () => limiter.consume(key, 100, 3600)));
      expect(during.every((d) => d.allowed)).toBe(true);
      expect(limiter.backend()).toBe('memory');
      // While open, checks never wait on the frozen server: these complete with Redis still stopped.
      for (let i = 0; i < 50; i += 1) await limiter.consume(key, 100, 3600);
      expect(logger.errors).toHaveLength(1);
      expect(logger.errors[0]?.msg).toMatch(/Redis unavailable/);

      redis.thaw();
      await until(() => limiter.backend() === 'redis', 'the breaker to close');
      // Many checks after the return, one "back" line.
      for (let i = 0; i < 10; i += 1) await limiter.consume(key, 100, 3600);
      expect(logger.warnings.map((w) => w.msg)).toEqual([expect.stringMatching(/Redis is back/)]);
    } finally {
      await redis.stop();
    }
  }, 30_000);

  it('a killed Redis opens the breaker; a restarted one closes it', async () => {
    const redis = await startOwnRedis();
    try {
      const logger = recordingLogger();
      const limiter = createRedisRateLimiter({ url: redis.url, keyPrefix: prefix, logger, probeIntervalMs: 100 });
      open.push(limiter);
      const key = `key_${randomUUID()}`;
      await limiter.consume(key, 100, 3600);
      await redis.kill();
      for (let i = 0; i < 5; i += 1) expect((await limiter.consume(key, 100, 3600)).allowed).toBe(true);
      await until(() => limiter.backend() === 'memory', 'the breaker to open');
      await redis.restart();
      await until(() => limiter.backend() === 'redis', 'the breaker to close');
      // A restarted Redis starts empty: the count is Redis's again.
      expect(await limiter.consume(key, 100, 3600)).toMatchObject({ remaining: 99 });
      expect(logger.warnings.map((w) => w.msg)).toEqual([expect.stringMatching(/Redis is back/)]);
    } finally {
      await redis.stop();
    }
  }, 30_000);
});

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUpProcesses } from '../core/service-process.ts';
import { createTestDatabase } from '../support/database.ts';
import { startOwnRedis, type OwnRedis } from '../support/redis-server.ts';
import type { Database } from '../../src/db/database.ts';
import { startOnPostgres, until } from './support.ts';

const databaseUrl = process.env.TEST_DATABASE_URL;

describe.runIf(databaseUrl && process.env.TEST_REDIS_URL)('FARO_ROLE=worker', () => {
  let database: Database & { url?: string };
  let redis: OwnRedis;
  beforeAll(async () => {
    database = await createTestDatabase();
    redis = await startOwnRedis();
  }, 60_000);
  afterAll(async () => {
    await cleanUpProcesses();
    await redis?.stop();
    await database?.close();
  });

  it('opens no Redis connection (it serves no API requests), so a Redis outage means nothing to it', async () => {
    const observer = new Redis(redis.url);
    try {
      const before = String(await observer.call('CLIENT', 'LIST')).trim().split('\n').length;
      const worker = await startOnPostgres({ databaseUrl: database.url!, redisUrl: redis.url, role: 'worker' });
      await until(() => worker.stdout().includes('FARO Integrations (worker)'), 'the worker to start', 30_000);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const after = String(await observer.call('CLIENT', 'LIST')).trim().split('\n').length;
      expect(after).toBe(before);
      expect(worker.stderr()).not.toMatch(/RATE LIMITER|API KEYS/);
    } finally {
      observer.disconnect();
    }
  }, 60_000);
});

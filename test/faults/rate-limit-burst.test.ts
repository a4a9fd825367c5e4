import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUpProcesses, type ServiceProcess } from '../core/service-process.ts';
import { createTestDatabase } from '../support/database.ts';
import type { Database } from '../../src/db/database.ts';
import { call, createEnterpriseKey, isAlive, startOnPostgres } from './support.ts';

const databaseUrl = process.env.TEST_DATABASE_URL;
const redisUrl = process.env.TEST_REDIS_URL;

/*
 * Three API processes on one Redis, as a deployment behind a load balancer runs. The burst loads
 * every process's event loop far past any command timeout; the shared limit must hold exactly.
 */
describe.runIf(databaseUrl && redisUrl)('a burst across three API processes on one Redis', () => {
  let database: Database & { url?: string };
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    for (let i = 0; i < 3; i += 1) services.push(await startOnPostgres({ databaseUrl: database.url!, redisUrl, role: 'api', env: { LOG_LEVEL: 'warn' } }));
  }, 120_000);

  afterAll(async () => {
    await cleanUpProcesses();
    await database?.close();
  });

  it.each([1, 2, 3])('2,000 concurrent requests on a key limited to 500 admit exactly 500 (round %i)', async () => {
    const { key } = await createEnterpriseKey(services[0]!.url, ['locations:read'], 500);
    const statuses = await Promise.all(
      Array.from({ length: 2_000 }, (_, i) =>
        call(`${services[i % 3]!.url}/api/v1/locations?limit=1`, { headers: { authorization: `Bearer ${key}` } }).then((reply) => reply.status),
      ),
    );
    const admitted = statuses.filter((status) => status === 200).length;
    const limited = statuses.filter((status) => status === 429).length;
    expect(admitted).toBe(500);
    expect(limited).toBe(1_500);
    // The limiter never gave up on Redis: no process logged a fallback.
    for (const service of services) {
      expect(isAlive(service)).toBe(true);
      expect(service.stdout() + service.stderr()).not.toMatch(/RATE LIMITER: Redis unavailable/);
    }
  }, 120_000);
});

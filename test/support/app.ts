import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { loadConfig, type Config } from '../../src/config.ts';
import { buildApp } from '../../src/http/app.ts';
import type { App } from '../../src/http/app-type.ts';
import { createAppContext, type AppContext } from '../../src/services.ts';
import { systemClock, type Clock } from '../../src/lib/clock.ts';
import type { Database } from '../../src/db/database.ts';
import { startBackgroundJobs } from '../../src/jobs/background.ts';
import { createTestDatabase } from './database.ts';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface TestApp {
  app: App;
  ctx: AppContext;
  database: Database;
  /** Base URL when started with `listen: true`. */
  url: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  clock?: Clock;
  /** Reuse a database (e.g. a second instance on the same Postgres); by default a fresh one. */
  database?: Database;
  config?: Partial<Config>;
  env?: Record<string, string>;
  /** Share rate-limit state between instances by passing the same prefix. */
  redisKeyPrefix?: string;
  listen?: boolean;
  /** Run the webhook worker loops in this instance (off by default: tests drive them). */
  worker?: boolean;
  logger?: FastifyBaseLogger;
}

export function testConfig(overrides: Partial<Config> = {}, env: Record<string, string> = {}): Config {
  const base = loadConfig({
    FARO_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    FARO_SECRET_KEY: randomBytes(32).toString('base64'),
    FARO_WEBHOOK_ALLOW_PRIVATE: '1',
    LOG_LEVEL: 'silent',
    PORT: '0',
    FARO_DATA_DIR: '/nonexistent-test-data-dir',
    ...(process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL } : {}),
    ...env,
  });
  return { ...base, ...overrides };
}

/** The real app on a fresh database (and on real Redis when TEST_REDIS_URL is set). */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const ownsDatabase = !options.database;
  const config = testConfig(options.config, options.env);
  const logger = options.logger ?? (pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) as FastifyBaseLogger);
  const ctx = createAppContext({
    config,
    database,
    clock: options.clock ?? systemClock,
    logger,
    redisKeyPrefix: options.redisKeyPrefix ?? `faro:test:${randomBytes(6).toString('hex')}:`,
  });
  const app = await buildApp(ctx, { logger });
  let url = '';
  if (options.listen) url = await app.listen({ port: 0, host: '127.0.0.1' });
  else await app.ready();
  const jobs = options.worker ? startBackgroundJobs(ctx) : undefined;
  return {
    app,
    ctx,
    database,
    url,
    async close() {
      await app.close();
      await jobs?.stop();
      await ctx.close();
      if (ownsDatabase) await database.close();
    },
  };
}

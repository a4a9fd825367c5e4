// The service under `npm run bench:stream`, in its own process so its memory and CPU are its
// own: the real app on PostgreSQL. Answers `usage` messages over IPC with its RSS, heap and CPU
// time (after a full GC, so the heap is what is live), and the number of open streams.
import { pino } from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { loadConfig } from '../src/config.ts';
import { openPostgres } from '../src/db/database.ts';
import { buildApp } from '../src/http/app.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createAppContext } from '../src/services.ts';

const [databaseUrl] = process.argv.slice(2) as [string];
const config = loadConfig({
  DATABASE_URL: databaseUrl,
  FARO_ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef',
  FARO_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
  LOG_LEVEL: 'silent',
});
const logger = pino({ level: 'silent' }) as FastifyBaseLogger;
const database = await openPostgres(databaseUrl, 10);
const ctx = createAppContext({ config, database, clock: systemClock, logger, redisKeyPrefix: `faro:bench:${process.pid}:` });
const app = await buildApp(ctx, { logger });
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.send?.({ url });
process.on('message', (message: { type: string }) => {
  if (message.type !== 'usage') return;
  (globalThis as { gc?: () => void }).gc?.();
  const memory = process.memoryUsage();
  process.send?.({ type: 'usage', rss: memory.rss, heapUsed: memory.heapUsed, cpu: process.cpuUsage(), streams: ctx.services.eventStreamHub.size });
});
process.on('SIGTERM', () => {
  void app.close().then(() => ctx.close()).then(() => database.close()).then(() => process.exit(0));
});

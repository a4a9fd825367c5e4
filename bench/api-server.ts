// The service under benchmark, in its own process so the load generator does not share its
// event loop. Serves the real app plus, under /bench-noauth/v1, the same public route plugins
// with authentication and rate limiting switched off (publicApi's `unauthenticatedAs`).
import { pino } from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { loadConfig } from '../src/config.ts';
import { openPostgres } from '../src/db/database.ts';
import { buildApp } from '../src/http/app.ts';
import { publicApi } from '../src/http/public-api.ts';
import { publicRoutes } from '../src/http/routes.ts';
import { systemClock } from '../src/lib/clock.ts';
import { SCOPES } from '../src/domains/api/auth-context.ts';
import { createAppContext } from '../src/services.ts';

const [databaseUrl, redisUrl, agencyId] = process.argv.slice(2) as [string, string, string];
const config = loadConfig({
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  FARO_ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef',
  FARO_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
  LOG_LEVEL: 'silent',
});
const logger = pino({ level: 'silent' }) as FastifyBaseLogger;
const database = await openPostgres(databaseUrl, 10);
const ctx = createAppContext({ config, database, clock: systemClock, logger, redisKeyPrefix: `faro:bench:${process.pid}:` }); // runs share no limiter state
const app = await buildApp(ctx, { logger });
await app.register(publicApi, {
  prefix: '/bench-noauth/v1',
  routes: publicRoutes,
  unauthenticatedAs: { agencyId, tier: 'enterprise', via: 'api_key', keyId: null, userId: null, role: null, scopes: SCOPES },
});
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.send?.({ url });
process.on('SIGTERM', () => {
  void app.close().then(() => ctx.close()).then(() => database.close()).then(() => process.exit(0));
});

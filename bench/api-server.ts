// The service under benchmark, in its own process so the load generator does not share its
// event loop. Serves the real app plus, under /bench-noauth/v1, the same public route plugins
// with authentication, the tier check and rate limiting switched off: a variant of the public API
// that exists only here, so the production guard has no way around it.
// argv: database URL, Redis URL, agency id, limiter key prefix, logger (`silent`, or `production`:
// the logger `npm start` builds, at the default level, writing to this process's stdout), tracing
// (`off`; `discard`: the SDK records every span and drops it instead of exporting; or an OTLP URL
// to export to over http/protobuf, as OTEL_EXPORTER_OTLP_ENDPOINT), and optionally `metrics`:
// Prometheus metrics on, served on a port of their own (FARO_METRICS_PORT).
import { pino } from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { loadConfig } from '../src/config.ts';
import { openPostgres } from '../src/db/database.ts';
import { buildApp } from '../src/http/app.ts';
import type { App } from '../src/http/app-type.ts';
import type { PublicRoutes } from '../src/http/public-api.ts';
import { publicRoutes } from '../src/http/routes.ts';
import { systemClock } from '../src/lib/clock.ts';
import { insufficientScope, SCOPES, type PublicAuth } from '../src/domains/api/auth-context.ts';
import { createAppContext } from '../src/services.ts';
import { createLogger } from '../src/main.ts';
import { startMetricsServer } from '../src/observability/metrics-server.ts';
import { startTracing } from '../src/observability/tracing.ts';
import { startDiscardingTracing } from './api/discarding-tracing.ts';

const [databaseUrl, redisUrl, agencyId, redisKeyPrefix, loggerKind, tracingKind = 'off', metrics] = process.argv.slice(2) as [string, string, string, string, 'silent' | 'production', string?, ('metrics' | undefined)?];
const otlpEnv = tracingKind === 'off' || tracingKind === 'discard' ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT: tracingKind };
// The SDK reads its exporter settings from process.env itself.
Object.assign(process.env, otlpEnv);
const config = loadConfig({
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  FARO_ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef',
  FARO_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
  ...(loggerKind === 'silent' ? { LOG_LEVEL: 'silent' } : {}),
  ...(metrics === 'metrics' ? { FARO_METRICS_PORT: '0' } : {}),
  ...otlpEnv,
  // bench/api/recording-part.ts runs servers with recording on and off.
  ...(process.env.FARO_USAGE_RECORDING ? { FARO_USAGE_RECORDING: process.env.FARO_USAGE_RECORDING } : {}),
});
const logger = loggerKind === 'production' ? createLogger(config.logLevel) : (pino({ level: 'silent' }) as FastifyBaseLogger);
const tracingOn = tracingKind !== 'off';
const tracing = tracingKind === 'discard' ? startDiscardingTracing() : tracingOn ? startTracing(logger) : undefined;
const database = await openPostgres(databaseUrl, 10, { traced: tracingOn });
const ctx = createAppContext({ config: { ...config, tracing: tracingOn }, database, clock: systemClock, logger, redisKeyPrefix }); // each server its own limiter state
const app = await buildApp(ctx, { logger });

/** The public route plugins behind a fixed caller instead of publicApi's guard; scopes still apply. */
async function unauthenticatedPublicApi(scope: App, options: { routes: PublicRoutes[]; caller: PublicAuth }): Promise<void> {
  const { caller } = options;
  scope.decorateRequest('auth', null as unknown as PublicAuth);
  scope.addHook('onRequest', async (request) => {
    request.auth = caller;
    const required = request.routeOptions.config.scope;
    if (required && !caller.scopes.includes(required)) throw insufficientScope(caller, [required]);
  });
  for (const routes of options.routes) await scope.register(routes);
}

await app.register(unauthenticatedPublicApi, {
  prefix: '/bench-noauth/v1',
  routes: publicRoutes,
  caller: { agencyId, tier: 'enterprise', via: 'api_key', keyId: null, userId: null, role: null, scopes: SCOPES, livemode: true },
});
const url = await app.listen({ port: 0, host: '127.0.0.1' });
const metricsServer = ctx.metrics ? await startMetricsServer(ctx.metrics.registry, { port: 0, host: '127.0.0.1' }) : undefined;
process.send?.({ url, metricsUrl: metricsServer?.url });
process.on('SIGTERM', () => {
  void app.close().then(() => ctx.close()).then(() => database.close()).then(() => tracing?.shutdown()).then(() => process.exit(0));
});

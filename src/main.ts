import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { openDatabase } from './db/database.ts';
import { DatabaseConfigurationError, describeDatabaseUrl, retryWhileUnavailable } from './db/availability.ts';
import { migrate } from './db/migrator.ts';
import { DataDirLockedError, UnfinishedDataDirError } from './db/pglite.ts';
import { systemClock } from './lib/clock.ts';
import { readOrCreateLocalSecret } from './lib/local-secrets.ts';
import { buildApp } from './http/app.ts';
import type { App } from './http/app-type.ts';
import { logSerializers } from './http/log-redaction.ts';
import { createAppContext, type AppContext } from './services.ts';
import { DEMO_EMAIL, seedDemo } from './domains/simulation/demo-seed.ts';
import { startBackgroundJobs } from './jobs/background.ts';
import { startMetricsServer, type MetricsServer } from './observability/metrics-server.ts';
import { startTracing } from './observability/tracing.ts';
import { createAlertCheckJob } from './jobs/alert-checks.ts';

export function createLogger(level: string): FastifyBaseLogger {
  return pino({
    level,
    serializers: logSerializers,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.password', '*.secret', '*.key'],
      censor: '[redacted]',
    },
  }) as FastifyBaseLogger;
}

/** Embedded mode generates its operator token and encryption key once and keeps them in the data dir. */
export function resolveLocalSecrets(config: Config): Config {
  if (config.databaseUrl) return config;
  return {
    ...config,
    adminToken: config.adminToken ?? readOrCreateLocalSecret(config.dataDir, 'admin-token', () => `fadm_${randomBytes(24).toString('base64url')}`),
    secretKey: config.secretKey ?? readOrCreateLocalSecret(config.dataDir, 'secret.key', () => randomBytes(32).toString('base64')),
  };
}

export interface RunningService {
  app: App;
  context: AppContext;
  url: string;
  /** The `/metrics` URL when FARO_METRICS_PORT is set. */
  metricsUrl: string | undefined;
  stop(): Promise<void>;
}

export async function startService(baseConfig: Config, logger = createLogger(baseConfig.logLevel)): Promise<RunningService> {
  const config = resolveLocalSecrets(baseConfig);
  if (!config.adminToken) throw new ConfigError('FARO_ADMIN_TOKEN is required with DATABASE_URL (the operator API needs it)');
  const tracing = config.tracing ? startTracing(logger) : undefined;
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, traced: config.tracing }).catch(async (error: unknown) => {
    await tracing?.shutdown();
    throw error;
  });
  try {
    const migrateAll = () => migrate(database.db);
    const applied = config.databaseUrl ? await retryWhileUnavailable(database.db, describeDatabaseUrl(config.databaseUrl), logger, migrateAll) : await migrateAll();
    if (applied.length > 0) logger.info({ migrations: applied }, 'applied migrations');

    let demo: { created: boolean; password: string } | undefined;
    const embedded = database.kind === 'pglite';
    if (config.demo === 'on' || (config.demo === 'auto' && embedded)) {
      const password = embedded
        ? readOrCreateLocalSecret(config.dataDir, 'demo-password', () => randomBytes(9).toString('base64url'))
        : randomBytes(9).toString('base64url');
      const result = await seedDemo(database.db, password, systemClock);
      demo = { created: result.created, password: embedded || result.created ? password : '(set when it was created)' };
    }

    const context = createAppContext({ config, database, clock: systemClock, logger });
    const app = await buildApp(context, { logger });
    let url = '';
    let metricsServer: MetricsServer | undefined;
    try {
      if (config.role !== 'worker') {
        url = await listenOrExplain(app, config);
      } else {
        await app.ready();
      }
      if (context.metrics && config.metrics) metricsServer = await listenForMetrics(context.metrics.registry, config.metrics, logger);
    } catch (error) {
      await app.close().catch(() => undefined);
      await context.close().catch(() => undefined);
      throw error;
    }
    const jobs = config.role === 'api' ? undefined : startBackgroundJobs(context);
    // The API role holds the counters that quota alerts resolve by (the worker runs the other checks).
    const quotaAlerts = config.role === 'api' ? createAlertCheckJob({ alerts: context.services.alerts, logger: context.logger, checks: ['quotas'] }) : undefined;
    quotaAlerts?.start();
    // A worker listens on no socket: when a failover cuts every database connection at once, only
    // unref'd reconnect timers are left and Node would exit, with status 0. Stay up until stop().
    const keepAlive = config.role === 'worker' ? setInterval(() => undefined, 3_600_000) : undefined;

    printBanner(config, url, demo, baseConfig.adminToken === undefined, metricsServer?.url);
    return {
      app,
      context,
      url,
      metricsUrl: metricsServer?.url,
      async stop() {
        clearInterval(keepAlive);
        await metricsServer?.close();
        await app.close();
        await jobs?.stop();
        await quotaAlerts?.stop();
        await context.close();
        await database.close();
        await tracing?.shutdown();
      },
    };
  } catch (error) {
    await database.close().catch(() => undefined);
    await tracing?.shutdown();
    throw error;
  }
}

/** The port cannot be listened on: a one-line reason for the operator, not a stack trace. */
export class PortUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortUnavailableError';
  }
}

async function listenOrExplain(app: App, config: Config): Promise<string> {
  try {
    return await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const where = `port ${config.port} on ${config.host}`;
    if (code === 'EADDRINUSE') {
      throw new PortUnavailableError(`${where} is already in use (another FARO or another program is listening there); stop it, or set PORT to a free port (e.g. PORT=${config.port < 65535 ? config.port + 1 : 3000})`);
    }
    if (code === 'EACCES') {
      throw new PortUnavailableError(`no permission to listen on ${where}; set PORT to a port above 1023 (e.g. PORT=3000)`);
    }
    if (code === 'EADDRNOTAVAIL') {
      throw new PortUnavailableError(`${config.host} is not an address of this machine, so ${where} cannot be listened on; set HOST (e.g. HOST=127.0.0.1) and PORT`);
    }
    throw error;
  }
}

async function listenForMetrics(registry: Registry, where: { port: number; host: string }, logger: FastifyBaseLogger): Promise<MetricsServer> {
  try {
    const server = await startMetricsServer(registry, { ...where, logger });
    logger.info({ url: server.url }, 'metrics listening');
    return server;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new PortUnavailableError(`metrics cannot listen on port ${where.port} on ${where.host} (${String(code)}); set FARO_METRICS_PORT (and FARO_METRICS_HOST) to a free port on an address of this machine`);
    }
    throw error;
  }
}

function printBanner(config: Config, url: string, demo: { created: boolean; password: string } | undefined, tokenGenerated: boolean, metricsUrl: string | undefined): void {
  const lines = ['', `FARO Integrations (${config.role}) ${config.databaseUrl ? 'on PostgreSQL' : `embedded, data in ${config.dataDir}`}`];
  if (url) {
    lines.push(`  Portal:         ${config.publicBaseUrl}/`);
    lines.push(`  API reference:  ${config.publicBaseUrl}/docs`);
  }
  if (metricsUrl) lines.push(`  Metrics:        ${metricsUrl}`);
  if (demo) lines.push(`  Demo login:     ${DEMO_EMAIL} / ${demo.password}${demo.created ? '  (demo agency created)' : ''}`);
  // Only a token we generated is shown; one the operator set stays out of stdout and its log shipping.
  lines.push(`  Admin token:    ${tokenGenerated ? config.adminToken : '(from FARO_ADMIN_TOKEN)'}`);
  lines.push('');
  process.stdout.write(lines.join('\n') + '\n');
}

/** Entry point: start, then stop cleanly on SIGINT/SIGTERM (in-flight requests finish first). */
export async function main(): Promise<void> {
  let service: RunningService;
  try {
    service = await startService(loadConfig());
  } catch (error) {
    if (
      error instanceof ConfigError ||
      error instanceof DataDirLockedError ||
      error instanceof UnfinishedDataDirError ||
      error instanceof DatabaseConfigurationError ||
      error instanceof PortUnavailableError
    ) {
      process.stderr.write(`faro: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.context.logger.info({ signal }, 'shutting down');
    service
      .stop()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        service.context.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/**
 * The process's Prometheus metrics: one Registry per service instance (never prom-client's global
 * one, so two apps in one test process count apart), the metric definitions, and the few calls
 * the instrumented code makes. Labels are closed sets (method, route template, status, result,
 * backend): never an agency, key, subscription, delivery or event id.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Database, PoolStats } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { timeOfId } from '../lib/ids.ts';
import type { RateLimiter } from '../domains/api/rate-limiter.ts';
import type { AttemptObserver } from '../domains/webhooks/delivery/executor.ts';
import { createQueueStatsCache, registerQueueGauges, type QueueStatsCache } from './queue-gauges.ts';
import { registerHttpSeries } from './http-series.ts';

/** The route label of a request no route matched: a raw path would make a series per URL tried. */
export const UNROUTED = 'unrouted';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export interface ServiceMetrics {
  registry: Registry;
  queueStats: QueueStatsCache;
  /** One finished HTTP request; `route` is the matched template, undefined when none matched. */
  httpRequest(method: string, route: string | undefined, status: number, seconds: number): void;
  /** One decision of the public API's per-key (or per-user) hourly limit. */
  rateLimitDecision(allowed: boolean): void;
  webhookAttempt: AttemptObserver;
}

export function createServiceMetrics(deps: {
  database: Database;
  clock: Clock;
  /** The limiter requests are counted in; absent on a worker, which serves none. */
  limiter: RateLimiter | undefined;
  queueStatsTtlMs?: number;
}): ServiceMetrics {
  const registry = new Registry();
  // The event-loop delay histogram samples once a second, not every 10 ms (prom-client's
  // default): on bench:api's cheapest read, metrics on cost +4.6 to +10 % of server CPU per
  // request with the 10 ms timer and +2.5 to +6.7 % with 1 s or none (paired runs, 2026-12-05).
  // A second's samples still catch a loop held up for long, which is what the p99 panel is for.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 1000 });

  const http = registerHttpSeries(registry, {
    requests: 'faro_http_requests_total',
    requestsHelp: 'HTTP requests answered, by method, route template and status code.',
    duration: 'faro_http_request_duration_seconds',
    durationHelp: 'Time from receiving a request to sending its response, by method and route template.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  // Counted in two numbers per request (as the HTTP series are) and handed to prom-client when scraped.
  const decisions = { allowed: 0, refused: 0 };
  new Counter({
    name: 'faro_rate_limit_decisions_total',
    help: 'Decisions of the public API hourly limit: allowed or refused (429).',
    labelNames: ['result'] as const,
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ result: 'allowed' }, decisions.allowed);
      this.inc({ result: 'refused' }, decisions.refused);
    },
  });
  const attempts = new Counter({
    name: 'faro_webhook_attempts_total',
    help: 'Webhook delivery attempts, by result: success (2xx), http_status (another status), or the transport error (timeout, connection, dns, tls, ssrf_blocked).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const attemptDuration = new Histogram({
    name: 'faro_webhook_attempt_duration_seconds',
    help: 'Time of one delivery attempt\'s HTTP exchange, connect to the end of the response.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
    registers: [registry],
  });
  const eventToDelivery = new Histogram({
    name: 'faro_webhook_event_to_delivery_seconds',
    help: 'Time from an event\'s creation in the outbox to a successful delivery of it (retries included).',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 3 * 24 * 3600],
    registers: [registry],
  });

  registerPoolGauges(registry, deps.database);
  if (deps.limiter) registerLimiterBackendGauge(registry, deps.limiter);
  const queueStats = createQueueStatsCache({ db: deps.database.db, clock: deps.clock, ...(deps.queueStatsTtlMs === undefined ? {} : { ttlMs: deps.queueStatsTtlMs }) });
  registerQueueGauges(registry, queueStats, deps.clock);

  return {
    registry,
    queueStats,
    httpRequest(method, route, status, seconds) {
      http.record(METHODS.has(method) ? method : 'OTHER', route ?? UNROUTED, status, seconds);
    },
    rateLimitDecision(wasAllowed) {
      if (wasAllowed) decisions.allowed += 1;
      else decisions.refused += 1;
    },
    webhookAttempt({ delivery, outcome, finishedAt }) {
      // A test send is a probe an agency runs by hand, not the pipeline's work.
      if (delivery.is_test) return;
      attempts.inc({ result: outcome.ok ? 'success' : (outcome.errorKind ?? 'http_status') });
      attemptDuration.observe(outcome.durationMs / 1000);
      const createdAt = delivery.event_id === null ? Number.NaN : timeOfId(delivery.event_id);
      if (outcome.ok && Number.isFinite(createdAt)) eventToDelivery.observe(Math.max(0, (finishedAt.getTime() - createdAt) / 1000));
    },
  };
}

function registerPoolGauges(registry: Registry, database: Database): void {
  const stats = database.poolStats?.bind(database);
  if (!stats) return;
  const gauge = (name: string, help: string, read: (s: PoolStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(stats()));
      },
    });
  gauge('faro_database_pool_max', 'Connections the pool may open (PGlite: 1, its one connection).', (s) => s.max);
  gauge('faro_database_pool_total', 'Connections open (PGlite: 1).', (s) => s.total);
  gauge('faro_database_pool_idle', 'Open connections no query holds (PGlite: 1 while no statement or transaction runs, else 0).', (s) => s.idle);
  gauge('faro_database_pool_waiting', 'Queries or transactions waiting for a connection.', (s) => s.waiting);
}

function registerLimiterBackendGauge(registry: Registry, limiter: RateLimiter): void {
  new Gauge({
    name: 'faro_rate_limiter_backend',
    help: 'Where rate-limit checks are answered right now: 1 for the backend in use (redis, or memory: no REDIS_URL or the Redis circuit breaker is open), 0 for the other.',
    labelNames: ['backend'] as const,
    registers: [registry],
    collect() {
      const backend = limiter.backend();
      this.set({ backend: 'redis' }, backend === 'redis' ? 1 : 0);
      this.set({ backend: 'memory' }, backend === 'memory' ? 1 : 0);
    },
  });
}

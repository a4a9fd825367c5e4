import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import type { DB } from './db/types.ts';
import type { Clock } from './lib/clock.ts';
import type { RateLimiter } from './domains/api/rate-limiter.ts';
import { createMemoryRateLimiter } from './domains/api/rate-limiter.ts';
import { createRedisRateLimiter } from './domains/api/redis-rate-limiter.ts';
import { coalesceChecks } from './domains/api/coalescing-limiter.ts';
import { API_KEY_LEASES } from './domains/api/rate-limit-policy.ts';
import { createKeyAuthenticator } from './domains/api/key-auth.ts';
import { createApiKeyService } from './domains/api/service.ts';
import { createAuditService } from './domains/audit/service.ts';
import { createAgencyService } from './domains/agencies/service.ts';
import { createSessionService } from './domains/agencies/sessions.ts';
import { createLocationService } from './domains/locations/service.ts';
import { createConversationService } from './domains/conversations/service.ts';
import { createMessageService } from './domains/messages/service.ts';
import { createReviewService } from './domains/reviews/service.ts';
import { createLeadService } from './domains/leads/service.ts';
import { createSyncService } from './domains/sync/service.ts';
import { createSimulationService } from './domains/simulation/service.ts';
import { createIdempotencyService } from './domains/idempotency/service.ts';
import { createDeliveryRuntime } from './domains/webhooks/delivery/runtime.ts';
import { createWebhookServices } from './domains/webhooks/webhook-services.ts';
import { createEventsService } from './domains/events/service.ts';
import { createEventStreamService } from './domains/events/stream-service.ts';
import { createEventStreamHub } from './domains/events/stream-hub.ts';
import { createSandboxService } from './domains/testing/sandbox.ts';
import { createServiceMetrics, type ServiceMetrics } from './observability/metrics.ts';
import { createUsageService } from './domains/usage/service.ts';
import { createUsageRecorder } from './domains/usage/recorder.ts';
import { createAlertService } from './domains/alerts/service.ts';

/** The services over the five resources (and sync runs) that raise the domain events. */
export function createResourceServices(deps: { db: Kysely<DB>; clock: Clock }) {
  return {
    locations: createLocationService(deps),
    conversations: createConversationService(deps),
    messages: createMessageService(deps),
    reviews: createReviewService(deps),
    leads: createLeadService(deps),
    sync: createSyncService(deps),
  };
}
export type ResourceServices = ReturnType<typeof createResourceServices>;

/** Everything the HTTP layer and the worker need, built once in the composition root. */
export interface AppContext {
  config: Config;
  database: Database;
  db: Kysely<DB>;
  clock: Clock;
  logger: FastifyBaseLogger;
  limiter: RateLimiter;
  /** Prometheus metrics of this process; undefined unless FARO_METRICS_PORT is set. */
  metrics: ServiceMetrics | undefined;
  services: ReturnType<typeof createServices>;
  close(): Promise<void>;
}

function createServices(deps: { db: Kysely<DB>; clock: Clock; config: Config; limiter: RateLimiter; database: Database; logger: FastifyBaseLogger; redisKeyPrefix: string; metrics: ServiceMetrics | undefined }) {
  const resources = createResourceServices(deps);
  const apiKeyAuth = createKeyAuthenticator({ ...deps, redisUrl: deps.config.redisUrl, servesRequests: deps.config.role !== 'worker', traced: deps.config.tracing });
  // One per process: the sender's keep-alive pools serve test sends and the worker alike.
  const deliveryEngine = createDeliveryRuntime({ ...deps, onAttempt: deps.metrics?.webhookAttempt });
  const apiKeys = createApiKeyService({ ...deps, onKeyChanged: (keyId) => apiKeyAuth.keyChanged(keyId), onKeyCreated: (hash) => apiKeyAuth.keyCreated(hash) });
  return {
    ...resources,
    agencies: createAgencyService(deps),
    sessions: createSessionService({ ...deps, ttlHours: deps.config.sessionTtlHours }),
    simulation: createSimulationService({ db: deps.db, clock: deps.clock, services: resources }),
    sandboxes: createSandboxService({ db: deps.db, clock: deps.clock, resourcesAt: (clock) => createResourceServices({ db: deps.db, clock }) }),
    apiKeyAuth,
    apiKeys,
    idempotency: createIdempotencyService(deps),
    events: createEventsService({ ...deps, retentionDays: deps.config.retentionDays }),
    eventStream: createEventStreamService({ ...deps, retentionDays: deps.config.retentionDays }),
    // Started by the first stream: a process that serves none holds no LISTEN for it.
    eventStreamHub: createEventStreamHub({ database: deps.database, logger: deps.logger }),
    audit: createAuditService(deps),
    usage: createUsageService({ ...deps, keyHourlyLimit: async (agencyId, keyId) => (await apiKeys.get(agencyId, keyId)).rate_limit }),
    // Per process: counts and buffers this instance's API requests, written in batches.
    usageRecorder: createUsageRecorder({ ...deps, copyRows: deps.database.copyRows, config: deps.config.usage }),
    alerts: createAlertService(deps),
    deliveryEngine,
    ...createWebhookServices({ ...deps, executor: deliveryEngine.executor }),
  };
}

export function createAppContext(deps: { config: Config; database: Database; clock: Clock; logger: FastifyBaseLogger; redisKeyPrefix?: string }): AppContext {
  const { config, database, clock, logger } = deps;
  const memory = createMemoryRateLimiter({ clock });
  // A worker serves no requests: it needs no shared counters, so it opens no Redis connection.
  // Checks of a key already on their way to Redis are joined by the next ones, and a key that busy
  // holds a short lease of its quota (coalescing-limiter.ts).
  const limiter = config.redisUrl && config.role !== 'worker'
    ? coalesceChecks(createRedisRateLimiter({ url: config.redisUrl, clock, keyPrefix: deps.redisKeyPrefix ?? 'faro:', fallback: memory, logger, traced: config.tracing }), { traced: config.tracing, clock, leases: API_KEY_LEASES })
    : memory;
  const metrics = config.metrics ? createServiceMetrics({ database, clock, limiter: config.role === 'worker' ? undefined : limiter }) : undefined;
  const services = createServices({ db: database.db, clock, config, limiter, database, logger, redisKeyPrefix: deps.redisKeyPrefix ?? 'faro:', metrics });
  return {
    config,
    database,
    db: database.db,
    clock,
    logger,
    limiter,
    metrics,
    services,
    async close() {
      await services.usageRecorder.stop();
      await services.eventStreamHub.close();
      await services.apiKeyAuth.close();
      await services.deliveryEngine.close();
      await limiter.close();
    },
  };
}

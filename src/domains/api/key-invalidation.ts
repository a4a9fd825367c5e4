import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { notify, type Database } from '../../db/database.ts';
import { inRedisSpan, redisTarget } from '../../observability/redis-spans.ts';

/*
 * Tells every instance that an API key changed (revoked, rotated) so it drops its cached copy.
 * Redis pub/sub when Redis is configured, else Postgres LISTEN/NOTIFY (PGlite too). Messages can be
 * lost (a connection drops); the cache's short TTL is the backstop, and a Redis subscriber that
 * reconnects asks for the whole cache to be dropped since it may have missed messages.
 */
export interface KeyInvalidationBus {
  publish(keyId: string): Promise<void>;
  /** Settles once subscribed, or once subscribing has visibly failed; never rejects. */
  ready: Promise<void>;
  close(): Promise<void>;
}

export interface BusLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface BusHandlers {
  onKeyChanged(keyId: string): void;
  /** Messages may have been missed: forget everything. */
  onResync(): void;
}

export const PG_CHANNEL = 'faro_api_key_changed';
const READY_TIMEOUT_MS = 1_000;
const LOG_EVERY_MS = 10_000;

/** `transport: 'none'` for a process that neither serves API keys nor changes them (the worker role). */
export function createKeyInvalidationBus(
  deps: { database: Database; redisUrl: string | undefined; redisKeyPrefix: string; logger: BusLogger; transport?: 'auto' | 'none'; traced?: boolean },
  handlers: BusHandlers,
): KeyInvalidationBus {
  if (deps.transport === 'none') return { ready: Promise.resolve(), publish: async () => undefined, close: async () => undefined };
  return deps.redisUrl
    ? createRedisBus(deps.redisUrl, `${deps.redisKeyPrefix}api-keys:changed`, deps.logger, handlers, deps.traced ?? false)
    : createPostgresBus(deps.database, deps.logger, handlers);
}

function createPostgresBus(database: Database, logger: BusLogger, handlers: BusHandlers): KeyInvalidationBus {
  let unlisten: (() => Promise<void>) | undefined;
  const ready = database
    .listen(PG_CHANNEL, (payload) => handlers.onKeyChanged(payload), {
      onLost: (err) => logger.error({ err }, 'API KEYS: lost the LISTEN connection for key changes; reconnecting (the 1 s cache bounds staleness meanwhile)'),
      // Revocations announced while it was away were missed.
      onReconnect: () => handlers.onResync(),
    })
    .then((stop) => {
      unlisten = stop;
    })
    .catch((err: unknown) => {
      logger.error({ err }, 'API KEYS: cannot LISTEN for key changes; other instances notice revocations only when their cache expires');
    });
  return {
    ready,
    async publish(keyId) {
      try {
        await notify(database.db, PG_CHANNEL, keyId);
      } catch (err) {
        logger.error({ err, keyId }, 'API KEYS: NOTIFY of a key change failed; other instances notice it when their cache expires');
      }
    },
    async close() {
      await ready;
      await unlisten?.();
    },
  };
}

function createRedisBus(url: string, channel: string, logger: BusLogger, handlers: BusHandlers, traced: boolean): KeyInvalidationBus {
  let lastLogMs = Number.NEGATIVE_INFINITY;
  const logThrottled = (err: unknown, msg: string) => {
    const now = Date.now();
    if (now - lastLogMs < LOG_EVERY_MS) return;
    lastLogMs = now;
    logger.error({ err }, msg);
  };
  const retryStrategy = (times: number) => Math.min(times * 200, 2_000);

  const subscriber = new Redis(url, { connectTimeout: 1_000, retryStrategy, maxRetriesPerRequest: null, autoResubscribe: true });
  subscriber.on('message', (from: string, keyId: string) => {
    if (from === channel) handlers.onKeyChanged(keyId);
  });
  subscriber.on('error', (err: unknown) =>
    logThrottled(err, 'API KEYS: Redis unavailable for key-change messages; revocations reach other instances when their cache expires'),
  );
  let connectedBefore = false;
  subscriber.on('ready', () => {
    if (connectedBefore) handlers.onResync();
    connectedBefore = true;
  });
  const ready = Promise.race([
    subscriber.subscribe(channel).then(() => undefined),
    new Promise<void>((resolve) => subscriber.once('error', () => resolve())),
    delay(READY_TIMEOUT_MS, undefined, { ref: false }),
  ]).catch(() => undefined);

  // Fail fast while Redis is down: a revocation must not hang on it (the TTL is the backstop).
  const publisher = new Redis(url, { connectTimeout: 1_000, retryStrategy, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 500 });
  publisher.on('error', (err: unknown) => logThrottled(err, 'API KEYS: Redis unavailable for publishing key changes'));
  const publisherUp = Promise.race([
    new Promise<void>((resolve) => publisher.once('ready', () => resolve())),
    new Promise<void>((resolve) => publisher.once('error', () => resolve())),
    delay(READY_TIMEOUT_MS, undefined, { ref: false }),
  ]);

  const target = traced ? redisTarget(url) : undefined;
  const publishChange = (keyId: string) => (target ? inRedisSpan('PUBLISH', target, () => publisher.publish(channel, keyId)) : publisher.publish(channel, keyId));

  return {
    ready,
    async publish(keyId) {
      try {
        if (publisher.status !== 'ready') await publisherUp;
        await publishChange(keyId);
      } catch (err) {
        logger.error({ err, keyId }, 'API KEYS: publishing a key change to Redis failed; other instances notice it when their cache expires');
      }
    },
    async close() {
      for (const client of [subscriber, publisher]) {
        client.removeAllListeners('error');
        client.on('error', () => {});
        client.disconnect();
      }
    },
  };
}

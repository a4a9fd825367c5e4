/**
 * One per process: the fan-in of every event stream it serves. It LISTENs once on the outbox's
 * NOTIFY channel and reads committed events in commit order from one cursor (stream-repository),
 * then hands each to the open streams of its agency. However many streams are open, the process
 * holds one LISTEN connection and runs one query per wake-up.
 *
 * A NOTIFY arrives at commit, but the event becomes readable only once every older transaction has
 * ended; the ids announced and not yet read are retried shortly until they are. A poll backs up a
 * lost LISTEN (a reconnect triggers a pass too).
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../../db/database.ts';
import { EVENTS_CHANNEL } from './repository.ts';
import { currentStreamPosition, readCommittedEvents, type StreamEvent, type StreamPosition } from './stream-repository.ts';

export interface StreamSubscriber {
  agencyId: string;
  onEvent(event: StreamEvent): void;
  onHeartbeat(): void;
  /** The hub is closing (the process shuts down): end the stream. */
  onClose(): void;
}

export interface EventStreamHubOptions {
  database: Database;
  logger: Pick<FastifyBaseLogger, 'warn' | 'error'>;
  heartbeatMs?: number;
  pollMs?: number;
}

const BATCH = 500;
const FIRST_RETRY_MS = 5;
const MAX_RETRY_MS = 500;
/** An announced id still unread after this was pruned or rolled into something odd: stop waiting. */
const GIVE_UP_MS = 60_000;

export function createEventStreamHub(options: EventStreamHubOptions) {
  const { database, logger } = options;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const pollMs = options.pollMs ?? 2_000;
  const byAgency = new Map<string, Set<StreamSubscriber>>();
  /** Ids announced by NOTIFY and not read yet, with when they were announced. */
  const announced = new Map<string, number>();
  let cursor: StreamPosition | undefined;
  let starting: Promise<void> | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  let timers: NodeJS.Timeout[] = [];
  let retryTimer: NodeJS.Timeout | undefined;
  let retryMs = FIRST_RETRY_MS;
  let current: Promise<void> | null = null;
  let again = false;
  let closed = false;

  function fanOut(event: StreamEvent): void {
    for (const subscriber of byAgency.get(event.agency_id) ?? []) subscriber.onEvent(event);
  }

  async function pass(): Promise<void> {
    do {
      again = false;
      for (;;) {
        const rows = await readCommittedEvents(database.db, cursor!, BATCH);
        for (const row of rows) {
          announced.delete(row.id);
          cursor = row.position;
          fanOut(row);
        }
        if (rows.length < BATCH || closed) break;
      }
    } while (again && !closed);
    retryUnread();
  }

  function retryUnread(): void {
    const now = Date.now();
    for (const [id, at] of announced) if (now - at > GIVE_UP_MS) announced.delete(id);
    if (announced.size === 0 || closed) {
      retryMs = FIRST_RETRY_MS;
      return;
    }
    clearTimeout(retryTimer);
    retryTimer = setTimeout(wake, retryMs);
    retryTimer.unref();
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  }

  function wake(): void {
    if (!cursor || closed) return;
    if (current) {
      again = true;
      return;
    }
    current = pass()
      .catch((error: unknown) => logger.warn({ err: error }, 'event stream: reading events failed; the next wake-up or poll retries'))
      .finally(() => {
        current = null;
      });
  }

  async function start(): Promise<void> {
    cursor = await currentStreamPosition(database.db);
    try {
      unlisten = await database.listen(
        EVENTS_CHANNEL,
        (id) => {
          announced.set(id, Date.now());
          wake();
        },
        {
          onLost: (error) => logger.warn({ err: error }, 'event stream: LISTEN connection lost; reconnecting, polling meanwhile'),
          onReconnect: wake,
        },
      );
    } catch (error) {
      logger.warn({ err: error }, 'event stream: LISTEN failed; streams rely on the poll');
    }
    if (closed) return;
    const heartbeat = setInterval(() => {
      for (const subscribers of byAgency.values()) for (const subscriber of subscribers) subscriber.onHeartbeat();
    }, heartbeatMs);
    const poll = setInterval(wake, pollMs);
    heartbeat.unref();
    poll.unref();
    timers = [heartbeat, poll];
  }

  return {
    /** Starts the hub once (its cursor and LISTEN); a stream request awaits it before answering 200. */
    async started(): Promise<void> {
      if (closed) throw new Error('event stream hub is closed');
      // A failed start (the database unreachable) is retried by the next stream, not remembered.
      starting ??= start().catch((error: unknown) => {
        starting = undefined;
        throw error;
      });
      await starting;
    },

    /**
     * Adds a stream; from when this resolves it gets every event of its agency that commits
     * after the hub's cursor, in commit order. Returns the function that removes it.
     */
    async subscribe(subscriber: StreamSubscriber): Promise<() => void> {
      await this.started();
      let subscribers = byAgency.get(subscriber.agencyId);
      if (!subscribers) byAgency.set(subscriber.agencyId, (subscribers = new Set()));
      subscribers.add(subscriber);
      return () => {
        subscribers.delete(subscriber);
        if (subscribers.size === 0 && byAgency.get(subscriber.agencyId) === subscribers) byAgency.delete(subscriber.agencyId);
      };
    },

    /** Open streams (for the bench and tests). */
    get size(): number {
      let count = 0;
      for (const subscribers of byAgency.values()) count += subscribers.size;
      return count;
    },

    /** Ends every open stream (graceful shutdown must not wait for clients to hang up). */
    endAll(): void {
      for (const subscribers of [...byAgency.values()]) for (const subscriber of [...subscribers]) subscriber.onClose();
    },

    async close(): Promise<void> {
      closed = true;
      for (const timer of timers) clearInterval(timer);
      clearTimeout(retryTimer);
      this.endAll();
      await starting?.catch(() => undefined);
      await unlisten?.().catch(() => undefined);
      await current;
    },
  };
}

export type EventStreamHub = ReturnType<typeof createEventStreamHub>;

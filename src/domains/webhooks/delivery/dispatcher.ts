/**
 * Outbox → delivery queue. Each committed event becomes one pending delivery per enabled,
 * matching subscription of its agency; the event is marked dispatched in the same transaction,
 * so an event is fanned out exactly once, and one committed but not yet fanned out (the process
 * died in between) is picked up by the next dispatcher to run.
 */
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../../config.ts';
import { notify, type Database } from '../../../db/database.ts';
import type { DB } from '../../../db/types.ts';
import type { Clock } from '../../../lib/clock.ts';
import { claimUndispatchedEvents, EVENTS_CHANNEL, markEventsDispatched } from '../../events/repository.ts';
import { buildEventPayload } from '../../events/catalog.ts';
import { DELIVERIES_CHANNEL, insertFanOut } from './queue-repository.ts';
import { createWakeableLoop } from '../../../jobs/wakeable-loop.ts';

export interface DispatcherDeps {
  db: Kysely<DB>;
  database: Pick<Database, 'listen'>;
  clock: Clock;
  config: Pick<Config, 'webhooks'>;
  logger: FastifyBaseLogger;
  /** Events per transaction. */
  batchSize?: number;
}

export function createDispatcher(deps: DispatcherDeps) {
  const { db, clock, logger } = deps;
  const batchSize = deps.batchSize ?? 500;

  /** Fans out one batch; returns how many events it took. */
  async function dispatchBatch(): Promise<number> {
    return db.transaction().execute(async (trx) => {
      const events = await claimUndispatchedEvents(trx, batchSize);
      if (events.length === 0) return 0;
      const at = clock.now();
      const payloads = events.map((event) => ({ id: event.id, payload: buildEventPayload(event) }));
      const inserted = await insertFanOut(trx, payloads, at);
      await markEventsDispatched(trx, events.map((event) => event.id), at);
      if (inserted > 0) await notify(trx, DELIVERIES_CHANNEL);
      return events.length;
    });
  }

  /** Fans out every undispatched event; returns how many. */
  async function runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const taken = await dispatchBatch();
      total += taken;
      if (taken < batchSize) return total;
    }
  }

  const loop = createWakeableLoop({
    name: 'webhook dispatcher',
    logger,
    database: deps.database,
    channel: EVENTS_CHANNEL,
    pollIntervalMs: deps.config.webhooks.pollIntervalMs,
    run: async () => {
      await runOnce();
    },
  });

  return { runOnce, start: loop.start, stop: loop.stop };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;

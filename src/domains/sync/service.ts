import type { Kysely } from 'kysely';
import type { DB, Executor } from '../../db/types.ts';
import { insertSyncRun } from './repository.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { notFound } from '../../kit/errors.ts';
import { inTransaction } from '../../db/transaction.ts';
import { appendEvent } from '../events/repository.ts';
import { findLocation } from '../locations/repository.ts';
import { toSyncRun, type SyncRun, SYNC_PROVIDERS } from './schemas.ts';

export interface FinishedSync {
  location_id: string;
  provider: (typeof SYNC_PROVIDERS)[number];
  started_at: Date;
  /** null when the sync succeeded */
  error: string | null;
}

export function createSyncService({ db, clock }: { db: Kysely<DB>; clock: Clock }) {
  return {
    /** Record a finished sync run; a failed one raises `sync.failed` in the same transaction. */
    async recordRun(agencyId: string, run: FinishedSync, executor: Executor = db): Promise<{ syncRun: SyncRun; eventId: string | null }> {
      return inTransaction(executor, async (trx) => {
        if (!(await findLocation(trx, agencyId, run.location_id))) throw notFound('location');
        const now = clock.now();
        const row = await insertSyncRun(trx, {
          id: newId('sync', now),
          agency_id: agencyId,
          location_id: run.location_id,
          provider: run.provider,
          status: run.error === null ? 'succeeded' : 'failed',
          error: run.error,
          started_at: run.started_at,
          finished_at: now,
          created_at: now,
        });
        const syncRun = toSyncRun(row);
        if (run.error === null) return { syncRun, eventId: null };
        const event = await appendEvent(trx, { agencyId, type: 'sync.failed', data: syncRun, at: now });
        return { syncRun, eventId: event.id };
      });
    },
  };
}

export type SyncService = ReturnType<typeof createSyncService>;

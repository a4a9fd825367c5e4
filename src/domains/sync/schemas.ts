import { Type, type Static } from 'typebox';
import { DateTime, Nullable, iso, isoOrNull } from '../../lib/schema.ts';
import type { Row } from '../../db/types.ts';

export const SYNC_PROVIDERS = ['google', 'facebook', 'yelp'] as const;

export const SyncRunSchema = Type.Object(
  {
    id: Type.String({ examples: ['sync_01jd5m0d9d6v3fw8p3n4q7r2s1'] }),
    object: Type.Literal('sync_run'),
    location_id: Type.String(),
    provider: Type.Enum(SYNC_PROVIDERS),
    status: Type.Enum(['running', 'succeeded', 'failed']),
    error: Nullable(Type.String({ description: 'Why the sync failed, in words fit for the agency.' })),
    started_at: DateTime(),
    finished_at: Nullable(DateTime()),
    created_at: DateTime(),
  },
  { title: 'SyncRun', description: 'One synchronisation of a location with a listing provider.' },
);
export type SyncRun = Static<typeof SyncRunSchema>;

export function toSyncRun(row: Row<'sync_runs'>): SyncRun {
  return {
    id: row.id,
    object: 'sync_run',
    location_id: row.location_id,
    provider: row.provider,
    status: row.status,
    error: row.error,
    started_at: iso(row.started_at),
    finished_at: isoOrNull(row.finished_at),
    created_at: iso(row.created_at),
  };
}

import type { Executor, NewRow, Row } from '../../db/types.ts';

export type ApiKeyRow = Row<'api_keys'>;
export type ApiKeyWithCreator = ApiKeyRow & { creator_email: string | null };

export async function insertKey(db: Executor, key: NewRow<'api_keys'>): Promise<ApiKeyRow> {
  return db.insertInto('api_keys').values(key).returningAll().executeTakeFirstOrThrow();
}

function keysWithCreator(db: Executor) {
  return db
    .selectFrom('api_keys')
    .leftJoin('users', 'users.id', 'api_keys.created_by')
    .selectAll('api_keys')
    .select('users.email as creator_email');
}

export async function listKeys(db: Executor, agencyId: string): Promise<ApiKeyWithCreator[]> {
  return keysWithCreator(db).where('api_keys.agency_id', '=', agencyId).orderBy('api_keys.id', 'desc').execute();
}

export async function findKey(db: Executor, agencyId: string, id: string): Promise<ApiKeyWithCreator | undefined> {
  return keysWithCreator(db).where('api_keys.agency_id', '=', agencyId).where('api_keys.id', '=', id).executeTakeFirst();
}

/** Lock the key row for a rotate/revoke so two concurrent changes serialise. */
export async function findKeyForUpdate(db: Executor, agencyId: string, id: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('agency_id', '=', agencyId).where('id', '=', id).forUpdate().executeTakeFirst();
}

/**
 * The agency's working keys (not revoked, not expired), split as the cap counts them: `active`
 * ones, and `replaced` ones (rotated, still working through their grace period).
 */
export async function countWorkingKeys(db: Executor, agencyId: string, now: Date): Promise<{ active: number; replaced: number }> {
  const row = await db
    .selectFrom('api_keys')
    .select((eb) => [
      eb.fn.countAll<string>().filterWhere('replaced_by', 'is', null).as('active'),
      eb.fn.countAll<string>().filterWhere('replaced_by', 'is not', null).as('replaced'),
    ])
    .where('agency_id', '=', agencyId)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirstOrThrow();
  return { active: Number(row.active), replaced: Number(row.replaced) };
}

export async function updateKey(
  db: Executor,
  id: string,
  changes: { revoked_at?: Date; expires_at?: Date | null; replaced_by?: string },
): Promise<void> {
  await db.updateTable('api_keys').set(changes).where('id', '=', id).execute();
}

/** What authenticating a request needs, in one indexed lookup by hash. */
export async function findKeyForAuth(db: Executor, keyHash: string) {
  return db
    .selectFrom('api_keys')
    .innerJoin('agencies', 'agencies.id', 'api_keys.agency_id')
    .select([
      'api_keys.id',
      'api_keys.agency_id',
      'api_keys.scopes',
      'api_keys.rate_limit',
      'api_keys.expires_at',
      'api_keys.revoked_at',
      'agencies.tier',
      'agencies.api_rate_limit as agency_rate_limit',
      'agencies.live_agency_id',
    ])
    .where('api_keys.key_hash', '=', keyHash)
    .executeTakeFirst();
}
export type KeyAuthRow = NonNullable<Awaited<ReturnType<typeof findKeyForAuth>>>;

/** At most one write a minute per key, even across instances: the condition makes the rest no-ops. */
export async function touchLastUsed(db: Executor, id: string, now: Date, minIntervalMs: number): Promise<void> {
  const threshold = new Date(now.getTime() - minIntervalMs);
  await db
    .updateTable('api_keys')
    .set({ last_used_at: now })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', threshold)]))
    .execute();
}

/** Working keys, not rotated, that expire in (now, until]: the expiring-key alert. */
export async function listExpiringKeys(db: Executor, now: Date, until: Date) {
  return db
    .selectFrom('api_keys')
    .select(['id', 'agency_id', 'name', 'display_prefix', 'display_suffix', 'expires_at'])
    .where('expires_at', '>', now)
    .where('expires_at', '<=', until)
    .where('revoked_at', 'is', null)
    .where('replaced_by', 'is', null)
    .execute();
}

/** What the quota of these keys is now (a revoked key's alert resolves). */
export async function listKeyQuotas(db: Executor, ids: readonly string[]) {
  if (ids.length === 0) return [];
  return db
    .selectFrom('api_keys')
    .innerJoin('agencies', 'agencies.id', 'api_keys.agency_id')
    .select(['api_keys.id', 'api_keys.name', 'api_keys.rate_limit', 'api_keys.revoked_at', 'agencies.tier', 'agencies.api_rate_limit as agency_rate_limit'])
    .where('api_keys.id', 'in', ids)
    .execute();
}

export async function findKeyName(db: Executor, id: string): Promise<string | undefined> {
  const row = await db.selectFrom('api_keys').select('name').where('id', '=', id).executeTakeFirst();
  return row?.name;
}

import { sql } from 'kysely';
import type { Executor, NewRow, Row } from '../../db/types.ts';
import type { PageRequest } from '../../kit/pagination.ts';
import { idFloor } from '../../lib/ids.ts';

export type SubscriptionRow = Row<'webhook_subscriptions'>;

export interface HealthRow {
  subscription_id: string;
  deliveries: number;
  succeeded: number;
  failed: number;
  retrying: number;
  last_status: string | null;
  last_created_at: Date | null;
  last_test_status: string | null;
  last_test_created_at: Date | null;
}

export async function insertSubscription(db: Executor, row: NewRow<'webhook_subscriptions'>): Promise<SubscriptionRow> {
  return db.insertInto('webhook_subscriptions').values(row).returningAll().executeTakeFirstOrThrow();
}

/** Locks the agency row so concurrent creates count (and cap) subscriptions one at a time. */
export async function lockAgency(db: Executor, agencyId: string): Promise<void> {
  await db.selectFrom('agencies').select('id').where('id', '=', agencyId).forUpdate().executeTakeFirst();
}

export async function countSubscriptions(db: Executor, agencyId: string): Promise<number> {
  const row = await db
    .selectFrom('webhook_subscriptions')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('agency_id', '=', agencyId)
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function findSubscription(
  db: Executor,
  agencyId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<SubscriptionRow | undefined> {
  let query = db
    .selectFrom('webhook_subscriptions')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function listSubscriptions(db: Executor, agencyId: string, page: PageRequest): Promise<SubscriptionRow[]> {
  let query = db.selectFrom('webhook_subscriptions').selectAll().where('agency_id', '=', agencyId).where('deleted_at', 'is', null);
  if (page.before) query = query.where('id', '<', page.before);
  return query.orderBy('id', 'desc').limit(page.limit + 1).execute();
}

export type SubscriptionChanges = Partial<
  Pick<
    NewRow<'webhook_subscriptions'>,
    | 'url' | 'events' | 'description' | 'enabled' | 'disabled_reason' | 'disabled_at' | 'failing_since'
    | 'secret_sealed' | 'previous_secret_sealed' | 'previous_secret_expires_at' | 'deleted_at'
  >
> & { updated_at: Date };

export async function updateSubscription(db: Executor, agencyId: string, id: string, changes: SubscriptionChanges): Promise<SubscriptionRow> {
  return db
    .updateTable('webhook_subscriptions')
    .set(changes)
    .where('agency_id', '=', agencyId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * 24-hour delivery stats of several subscriptions in one statement: counts of real events'
 * deliveries since `since` (`retrying`: waiting for another attempt after a failed one), the
 * latest real delivery's status and time, and apart, the latest test send since `since`.
 */
export async function subscriptionHealth(db: Executor, agencyId: string, ids: string[], since: Date): Promise<HealthRow[]> {
  if (ids.length === 0) return [];
  const result = await sql<HealthRow>`
    select s.id as subscription_id,
           coalesce(stats.deliveries, 0) as deliveries,
           coalesce(stats.succeeded, 0) as succeeded,
           coalesce(stats.failed, 0) as failed,
           coalesce(stats.retrying, 0) as retrying,
           latest.status as last_status,
           latest.created_at as last_created_at,
           test.status as last_test_status,
           test.created_at as last_test_created_at
      from webhook_subscriptions s
      left join lateral (
        select count(*) as deliveries,
               count(*) filter (where d.status = 'succeeded') as succeeded,
               count(*) filter (where d.status = 'failed') as failed,
               count(*) filter (where d.status in ('pending', 'delivering') and d.last_error is not null) as retrying
          from webhook_deliveries d
         where d.subscription_id = s.id and d.id >= ${idFloor('whdel', since)} and not d.is_test
      ) stats on true
      left join lateral (
        select d.status, d.created_at
          from webhook_deliveries d
         where d.subscription_id = s.id and d.id >= ${idFloor('whdel', since)} and d.is_test
         order by d.id desc
         limit 1
      ) test on true
      left join lateral (
        select d.status, d.created_at
          from webhook_deliveries d
         where d.subscription_id = s.id and not d.is_test
         order by d.id desc
         limit 1
      ) latest on true
     where s.agency_id = ${agencyId} and s.id in (${sql.join(ids)})`.execute(db);
  return result.rows;
}

export interface SealedSecretsRow {
  id: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
}

/** Every subscription's sealed secrets (deleted ones too), in id order after `afterId`: a re-seal walks them in pages. */
export async function listSealedSecrets(db: Executor, afterId: string, limit: number): Promise<SealedSecretsRow[]> {
  return db
    .selectFrom('webhook_subscriptions')
    .select(['id', 'secret_sealed', 'previous_secret_sealed'])
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
}

/**
 * Writes re-sealed secrets only if the row still holds what was read: a rotation of the webhook
 * secret that committed in between wins (it sealed with the current key anyway). True if written.
 */
export async function replaceSealedSecrets(db: Executor, read: SealedSecretsRow, resealed: Omit<SealedSecretsRow, 'id'>): Promise<boolean> {
  const result = await db
    .updateTable('webhook_subscriptions')
    .set(resealed)
    .where('id', '=', read.id)
    .where('secret_sealed', '=', read.secret_sealed)
    .where((eb) =>
      read.previous_secret_sealed === null
        ? eb('previous_secret_sealed', 'is', null)
        : eb('previous_secret_sealed', '=', read.previous_secret_sealed),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/*
 * What delivery outcomes do to a subscription: the start of its current run of failures
 * (failing_since; a success clears it, in the queue repository's record statement) and disabling
 * it (410 Gone, or failing too long).
 */

/** Sets failing_since to `now` unless a run of failures is already under way. */
export async function markSubscriptionFailing(trx: Executor, subscriptionId: string, now: Date): Promise<void> {
  await trx
    .updateTable('webhook_subscriptions')
    .set({ failing_since: now })
    .where('id', '=', subscriptionId)
    .where('failing_since', 'is', null)
    .execute();
}

/**
 * Disables an enabled subscription with a reason. With `failingSinceBefore`, only if it has
 * been failing since at least then (checked on the row itself, so a concurrent success wins).
 */
export async function disableSubscription(
  trx: Executor,
  options: { subscriptionId: string; reason: string; now: Date; failingSinceBefore?: Date },
): Promise<Pick<SubscriptionRow, 'id' | 'agency_id' | 'url'> | undefined> {
  let query = trx
    .updateTable('webhook_subscriptions')
    .set({ enabled: false, disabled_reason: options.reason, disabled_at: options.now, updated_at: options.now })
    .where('id', '=', options.subscriptionId)
    .where('enabled', '=', true);
  if (options.failingSinceBefore) query = query.where('failing_since', '<=', options.failingSinceBefore);
  return query.returning(['id', 'agency_id', 'url']).executeTakeFirst();
}

/** Enabled subscriptions whose every attempt failed since at least `failingSinceBefore` (the failing alert). */
export async function listFailingSubscriptions(db: Executor, failingSinceBefore: Date): Promise<Pick<SubscriptionRow, 'id' | 'agency_id' | 'url' | 'failing_since'>[]> {
  return db
    .selectFrom('webhook_subscriptions')
    .select(['id', 'agency_id', 'url', 'failing_since'])
    .where('failing_since', '<=', failingSinceBefore)
    .where('enabled', '=', true)
    .where('deleted_at', 'is', null)
    .execute();
}

/** Of these subscriptions, those still disabled (not enabled again, not deleted). */
export async function listStillDisabled(db: Executor, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('webhook_subscriptions')
    .select('id')
    .where('id', 'in', ids)
    .where('enabled', '=', false)
    .where('deleted_at', 'is', null)
    .execute();
  return rows.map((row) => row.id);
}

/**
 * The delivery queue's SQL: every change of a `webhook_deliveries` row's state is here (fan-out,
 * claim, promote, release, record, cancel, requeue, hand back), and the channel that wakes the
 * workers. Extending a lease changes no state: lease-repository.ts.
 * See runtime.ts for the glossary. Times are always parameters from the injected clock, never
 * SQL now(), so tests control them.
 */
import { sql } from 'kysely';
import type { Executor, NewRow } from '../../../db/types.ts';
import type { AttemptRecord, ClaimedDelivery, Release } from './queue-types.ts';

export type { AttemptRecord, ClaimedDelivery, DeliveryResult, Release } from './queue-types.ts';
import { idFloor, newId } from '../../../lib/ids.ts';
import { INTEGRATION_TIERS } from '../../agencies/entitlements.ts';

/** The NOTIFY channel that wakes delivery workers when deliveries become due. */
export const DELIVERIES_CHANNEL = 'faro_deliveries';

/**
 * One pending delivery per (event, enabled matching subscription of its agency), in one
 * statement. The id is `whdel_` + the time part of `at` + 16 hex chars of md5(event, sub) (hex
 * digits are Crockford base32 digits too): time-ordered like `newId`, and a second fan-out of the
 * same pair collides instead of duplicating.
 */
export async function insertFanOut(trx: Executor, events: { id: string; payload: string }[], at: Date): Promise<number> {
  if (events.length === 0) return 0;
  const timePart = newId('whdel', at).slice('whdel_'.length, 'whdel_'.length + 10);
  const result = await sql`/* prepared: insert_fan_out */
    INSERT INTO webhook_deliveries
      (id, agency_id, subscription_id, event_id, event_type, payload, status, attempts, next_attempt_at, created_at, updated_at)
    SELECT
      'whdel_' || ${timePart}::text || left(md5(e.id || '/' || s.id), 16),
      e.agency_id, s.id, e.id, e.type, p.payload, 'pending', 0, ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz
    FROM unnest(${events.map((e) => e.id)}::text[], ${events.map((e) => e.payload)}::text[]) AS p (event_id, payload)
    JOIN events e ON e.id = p.event_id
    JOIN webhook_subscriptions s
      ON s.agency_id = e.agency_id AND s.enabled AND s.deleted_at IS NULL
     AND (s.events @> jsonb_build_array(e.type) OR s.events @> '["*"]'::jsonb)
    ON CONFLICT (event_id, subscription_id) WHERE event_id IS NOT NULL DO NOTHING`.execute(trx);
  return Number(result.numAffectedRows ?? 0);
}

const CLAIM_RETURNING = sql`
  d.id, d.agency_id, d.subscription_id, d.event_id, d.event_type, d.payload, d.attempts, d.is_test, d.locked_by,
  s.url, s.secret_sealed, s.previous_secret_sealed, s.previous_secret_expires_at,
  s.enabled AS subscription_enabled, s.deleted_at AS subscription_deleted_at, s.failing_since`;

export interface ClaimOptions {
  workerId: string;
  now: Date;
  leaseUntil: Date;
  /** Deliveries to lease at most. */
  limit: number;
  /** How many more a subscription, or an agency, may be given: for those the worker holds some of. */
  subscriptionAllowances: ReadonlyMap<string, number>;
  agencyAllowances: ReadonlyMap<string, number>;
  /** The allowance of a subscription, or an agency, the worker holds none of. */
  subscriptionDefault: number;
  agencyDefault: number;
}

const keysOf = (map: ReadonlyMap<string, number>) => [...map.keys()];
const valuesOf = (map: ReadonlyMap<string, number>) => [...map.values()];

/**
 * Leases up to `limit` due deliveries, fairly: agencies take turns (the first of every agency
 * with due work, then the second of each, …), and so do the subscriptions within an agency, each
 * within the allowance the worker gives it (slot-book.ts). A recursive CTE walks the
 * subscriptions with ready work through the ready index instead of scanning the backlog; retries
 * waiting for their time (`scheduled`) and expired leases are outside it until
 * `promoteDueDeliveries` puts them back. Test sends are not claimed here: their caller attempts
 * them directly. Concurrent workers skip each other's rows.
 */
export async function claimDueDeliveries(db: Executor, options: ClaimOptions): Promise<ClaimedDelivery[]> {
  const { workerId, now, leaseUntil, limit, subscriptionAllowances: subs, agencyAllowances: agencies } = options;
  if (limit <= 0) return [];
  const result = await sql<ClaimedDelivery>`/* prepared: claim_due_deliveries */
    WITH RECURSIVE ready (subscription_id) AS (
      (SELECT subscription_id FROM webhook_deliveries
        WHERE status = 'pending' AND NOT scheduled ORDER BY subscription_id LIMIT 1)
      UNION ALL
      SELECT (SELECT w.subscription_id FROM webhook_deliveries w
               WHERE w.status = 'pending' AND NOT w.scheduled AND w.subscription_id > q.subscription_id
               ORDER BY w.subscription_id LIMIT 1)
      FROM ready q WHERE q.subscription_id IS NOT NULL
    ),
    subscription_allowance (id, n) AS (SELECT * FROM unnest(${keysOf(subs)}::text[], ${valuesOf(subs)}::int[])),
    agency_allowance (id, n) AS (SELECT * FROM unnest(${keysOf(agencies)}::text[], ${valuesOf(agencies)}::int[])),
    candidates AS (
      SELECT c.id, c.next_attempt_at, s.agency_id,
             row_number() OVER (PARTITION BY s.id ORDER BY c.next_attempt_at) AS subscription_turn
      FROM ready q
      JOIN webhook_subscriptions s ON s.id = q.subscription_id
      JOIN agencies a ON a.id = s.agency_id AND a.tier = ANY(${INTEGRATION_TIERS}::text[])
      CROSS JOIN LATERAL (
        SELECT d.id, d.next_attempt_at FROM webhook_deliveries d
        WHERE d.subscription_id = q.subscription_id AND d.status = 'pending' AND NOT d.scheduled
          AND d.next_attempt_at <= ${now}::timestamptz AND NOT d.is_test
        ORDER BY d.subscription_id, d.next_attempt_at
        LIMIT greatest(coalesce((SELECT n FROM subscription_allowance WHERE id = q.subscription_id), ${options.subscriptionDefault}::int), 0)
      ) c
    ),
    turns AS (
      SELECT id, next_attempt_at,
             row_number() OVER (PARTITION BY agency_id ORDER BY subscription_turn, next_attempt_at) AS agency_turn,
             coalesce((SELECT n FROM agency_allowance WHERE agency_allowance.id = candidates.agency_id), ${options.agencyDefault}::int) AS allowance
      FROM candidates
    ),
    picked AS (
      SELECT d.id FROM webhook_deliveries d
      WHERE d.id IN (SELECT id FROM turns WHERE agency_turn <= allowance ORDER BY agency_turn, next_attempt_at LIMIT ${limit}::int)
        AND d.status = 'pending' AND NOT d.scheduled AND d.next_attempt_at <= ${now}::timestamptz
      FOR UPDATE SKIP LOCKED
    )
    UPDATE webhook_deliveries d
       SET status = 'delivering', attempts = d.attempts + 1, locked_until = ${leaseUntil}::timestamptz,
           locked_by = ${workerId}::text, updated_at = ${now}::timestamptz
      FROM picked, webhook_subscriptions s
     WHERE d.id = picked.id AND s.id = d.subscription_id
    RETURNING ${CLAIM_RETURNING}`.execute(db);
  return result.rows;
}

/**
 * Puts back into the claim's reach what time has made claimable: retries whose time has come,
 * and deliveries whose lease expired: their worker died or stalled mid-attempt. The lost attempt
 * is recorded (`worker_lost`, known to have run at least until the lease's last renewal), so the
 * log has no gap, and the delivery is attempted again with the same webhook-id. Returns how many.
 */
export async function promoteDueDeliveries(db: Executor, now: Date, leaseMs: number): Promise<number> {
  const timePart = newId('whatt', now).slice('whatt_'.length, 'whatt_'.length + 10);
  const result = await sql<{ promoted: number }>`/* prepared: promote_due_deliveries */
    WITH due AS (
      UPDATE webhook_deliveries SET scheduled = false
       WHERE status = 'pending' AND scheduled AND next_attempt_at <= ${now}::timestamptz
      RETURNING 1
    ),
    lost AS (
      SELECT id, agency_id, subscription_id, is_test, attempts, locked_by, locked_until, updated_at AS claimed_at FROM webhook_deliveries
       WHERE status = 'delivering' AND NOT is_test AND locked_until <= ${now}::timestamptz
      FOR UPDATE SKIP LOCKED
    ),
    expired AS (
      UPDATE webhook_deliveries d
         SET status = 'pending', scheduled = false, locked_until = NULL, locked_by = NULL, updated_at = ${now}::timestamptz,
             last_status_code = NULL, last_error = 'worker_lost: the worker stopped during the attempt; attempting again'
        FROM lost WHERE d.id = lost.id
      RETURNING 1
    ),
    recorded AS (
      INSERT INTO webhook_delivery_attempts
        (id, delivery_id, agency_id, subscription_id, is_test, attempt_number, started_at, duration_ms, request_headers, error_kind, error_message)
      SELECT 'whatt_' || ${timePart}::text || left(md5(lost.id || '/' || lost.attempts), 16), lost.id, lost.agency_id,
             lost.subscription_id, lost.is_test, lost.attempts, lost.claimed_at,
             greatest(0, floor(extract(epoch FROM (lost.locked_until - lost.claimed_at)) * 1000) - ${leaseMs}::int)::int,
             '{}'::jsonb, 'worker_lost',
             'Worker ' || coalesce(lost.locked_by, '?') || ' stopped renewing its lease during this attempt (crashed, killed or stalled); '
               || 'the outcome is unknown, so the delivery is attempted again with the same webhook-id.'
        FROM lost WHERE lost.attempts > 0
      ON CONFLICT (delivery_id, attempt_number) DO NOTHING
    )
    SELECT (SELECT count(*) FROM due) + (SELECT count(*) FROM expired) AS promoted`.execute(db);
  return Number(result.rows[0]?.promoted ?? 0);
}

/**
 * Hands leased deliveries back untouched (a stopping worker's buffer, never attempted): pending
 * again at their old due time, the claim's count of the attempt taken back, the last outcome kept.
 */
export async function handBackLeases(db: Executor, leases: { id: string; workerId: string; attempts: number }[], now: Date): Promise<void> {
  if (leases.length === 0) return;
  await sql`
    UPDATE webhook_deliveries d
       SET status = 'pending', scheduled = false, locked_until = NULL, locked_by = NULL, attempts = d.attempts - 1, updated_at = ${now}::timestamptz
      FROM unnest(${leases.map((l) => l.id)}::text[], ${leases.map((l) => l.workerId)}::text[], ${leases.map((l) => l.attempts)}::int[])
           AS r (id, worker_id, attempts)
     WHERE d.id = r.id AND d.status = 'delivering' AND d.locked_by = r.worker_id AND d.attempts = r.attempts`.execute(db);
}

/**
 * Leases one pending delivery by id, whatever its due time (test sends, "redeliver now"). A
 * delivery this worker already leased (by `claimDueDeliveries`) is returned as it is; one whose
 * lease expired waits for `promoteDueDeliveries`, which records the lost attempt first.
 */
export async function claimDeliveryById(
  db: Executor,
  options: { id: string; workerId: string; now: Date; leaseUntil: Date },
): Promise<ClaimedDelivery | undefined> {
  const { id, workerId, now, leaseUntil } = options;
  const claimed = await sql<ClaimedDelivery>`
    UPDATE webhook_deliveries d
       SET status = 'delivering', attempts = d.attempts + 1, locked_until = ${leaseUntil}::timestamptz,
           locked_by = ${workerId}::text, updated_at = ${now}::timestamptz
      FROM webhook_subscriptions s
     WHERE d.id = ${id} AND s.id = d.subscription_id
       AND d.status = 'pending'
    RETURNING ${CLAIM_RETURNING}`.execute(db);
  if (claimed.rows[0]) return claimed.rows[0];
  const ours = await sql<ClaimedDelivery>`
    SELECT ${CLAIM_RETURNING} FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
     WHERE d.id = ${id} AND d.status = 'delivering' AND d.locked_by = ${workerId} AND d.locked_until > ${now}::timestamptz`.execute(db);
  return ours.rows[0];
}

/**
 * When the queue next needs a worker, after `now`: the earliest retry of a waiting delivery, or
 * the earliest lease to expire (a dead worker's delivery). Null when nothing is scheduled.
 */
export async function nextWakeAt(db: Executor, now: Date): Promise<Date | null> {
  const result = await sql<{ at: Date | null }>`
    SELECT least(
      (SELECT min(next_attempt_at) FROM webhook_deliveries
        WHERE status = 'pending' AND next_attempt_at > ${now}::timestamptz),
      (SELECT min(locked_until) FROM webhook_deliveries
        WHERE status = 'delivering' AND NOT is_test AND locked_until > ${now}::timestamptz)
    ) AS at`.execute(db);
  const at = result.rows[0]?.at ?? null;
  return at === null ? null : new Date(at);
}

/** A test send's delivery: not due (`next_attempt_at` null), its request attempts it directly. */
export async function insertDelivery(db: Executor, row: NewRow<'webhook_deliveries'>): Promise<void> {
  await db.insertInto('webhook_deliveries').values(row).execute();
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

function releasesTable(releases: Release[]) {
  const column = <T>(pick: (r: Release) => T) => releases.map(pick);
  return sql`unnest(
    ${column((r) => r.id)}::text[], ${column((r) => r.workerId)}::text[], ${column((r) => r.attempts)}::int[],
    ${column((r) => r.result.status)}::text[], ${column((r) => iso(r.result.nextAttemptAt))}::timestamptz[],
    ${column((r) => r.result.lastStatusCode)}::int[], ${column((r) => r.result.lastError)}::text[],
    ${column((r) => iso(r.result.deliveredAt))}::timestamptz[], ${column((r) => r.now.toISOString())}::timestamptz[],
    ${column((r) => (r.uncount ? 1 : 0))}::int[]
  ) AS r (id, worker_id, attempts, status, next_attempt_at, last_status_code, last_error, delivered_at, now, uncount)`;
}

const RELEASE = sql`
  UPDATE webhook_deliveries d
     SET status = r.status, next_attempt_at = r.next_attempt_at, last_status_code = r.last_status_code,
         scheduled = (r.status = 'pending' AND r.next_attempt_at > r.now),
         last_error = r.last_error, delivered_at = r.delivered_at, locked_until = NULL, locked_by = NULL,
         updated_at = r.now, attempts = d.attempts - r.uncount
    FROM r
   WHERE d.id = r.id AND d.status = 'delivering' AND d.locked_by = r.worker_id AND d.attempts = r.attempts
  RETURNING d.id, d.subscription_id, d.is_test, r.status`;

/**
 * Ends leases without attempts (cancellations). Returns the ids actually released: a lease that
 * expired and was taken over by another worker meanwhile is not this worker's to end.
 */
export async function releaseDeliveries(db: Executor, releases: Release[]): Promise<Set<string>> {
  if (releases.length === 0) return new Set();
  const result = await sql<{ id: string }>`
    WITH r AS (SELECT * FROM ${releasesTable(releases)}), released AS (${RELEASE})
    SELECT id FROM released`.execute(db);
  return new Set(result.rows.map((row) => row.id));
}

/**
 * Records attempts and ends their leases with the results, atomically, in one statement; a
 * success also ends its subscription's run of failures (written only where one is under way).
 * Attempt rows are idempotent per (delivery, attempt number). Returns the ids released.
 */
export async function recordAttempts(db: Executor, attempts: AttemptRecord[], releases: Release[]): Promise<Set<string>> {
  if (attempts.length === 0 && releases.length === 0) return new Set();
  const column = <T>(pick: (a: AttemptRecord) => T) => attempts.map(pick);
  const result = await sql<{ id: string }>`/* prepared: record_attempts */
    WITH r AS (SELECT * FROM ${releasesTable(releases)}),
    released AS (${RELEASE}),
    recorded AS (
      INSERT INTO webhook_delivery_attempts
        (id, delivery_id, agency_id, subscription_id, is_test, attempt_number, started_at, duration_ms, request_headers,
         response_status, response_headers, response_body_excerpt, error_kind, error_message)
      SELECT * FROM unnest(
        ${column((a) => newId('whatt', a.startedAt))}::text[], ${column((a) => a.deliveryId)}::text[],
        ${column((a) => a.agencyId)}::text[], ${column((a) => a.subscriptionId)}::text[], ${column((a) => a.isTest)}::boolean[],
        ${column((a) => a.attemptNumber)}::int[],
        ${column((a) => a.startedAt.toISOString())}::timestamptz[], ${column((a) => a.durationMs)}::int[],
        ${column((a) => JSON.stringify(a.requestHeaders))}::jsonb[], ${column((a) => a.responseStatus)}::int[],
        ${column((a) => (a.responseHeaders ? JSON.stringify(a.responseHeaders) : null))}::jsonb[],
        ${column((a) => a.responseBodyExcerpt)}::text[], ${column((a) => a.errorKind)}::text[], ${column((a) => a.errorMessage)}::text[])
      ON CONFLICT (delivery_id, attempt_number) DO NOTHING
    ),
    healed AS (
      UPDATE webhook_subscriptions s SET failing_since = NULL
       WHERE s.failing_since IS NOT NULL
         AND s.id IN (SELECT subscription_id FROM released WHERE status = 'succeeded' AND NOT is_test)
    )
    SELECT id FROM released`.execute(db);
  return new Set(result.rows.map((row) => row.id));
}

/**
 * Cancels deliveries that wait in the queue (pending; a leased one finishes its attempt first):
 * all of a subscription's (it was disabled or deleted; `reason` becomes their last_error), or one
 * just put back in the queue whose subscription was disabled or deleted meanwhile (e.g. by a
 * concurrent attempt's 410), so it does not wait for a claim to notice. Returns how many.
 */
export async function cancelWaitingDeliveries(
  db: Executor,
  target: { subscriptionId: string; reason: string } | { deliveryId: string; ifSubscriptionInactive: true },
  now: Date,
): Promise<number> {
  let query = db
    .updateTable('webhook_deliveries')
    .set({ status: 'cancelled', next_attempt_at: null, updated_at: now, ...('reason' in target ? { last_error: target.reason } : {}) })
    .where('status', '=', 'pending');
  if ('subscriptionId' in target) {
    query = query.where('subscription_id', '=', target.subscriptionId);
  } else {
    query = query.where('id', '=', target.deliveryId).where((eb) =>
      eb.exists(
        eb.selectFrom('webhook_subscriptions as s')
          .select('s.id')
          .whereRef('s.id', '=', 'webhook_deliveries.subscription_id')
          .where((inner) => inner.or([inner('s.enabled', '=', false), inner('s.deleted_at', 'is not', null)])),
      ),
    );
  }
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Make a delivery due now, whatever its state. A leased one is left alone: its attempt is under
 * way and records itself, or its worker died and the promoter records the lost attempt first. A
 * test send whose lease expired is requeued here, as the promoter leaves test sends alone.
 */
export async function requeueDelivery(db: Executor, agencyId: string, id: string, at: Date): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', scheduled: false, next_attempt_at: at, updated_at: at, locked_until: null, locked_by: null })
    .where('agency_id', '=', agencyId)
    .where('id', '=', id)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb.and([eb('is_test', '=', true), eb('locked_until', '<=', at)])]))
    .execute();
}

/**
 * Put a subscription's failed deliveries (real events) created since `since` back in the queue,
 * and those cancelled when it was disabled (auto-disable, 410): after an outage, both are what
 * the receiver missed.
 */
export async function requeueFailedDeliveries(db: Executor, agencyId: string, subscriptionId: string, since: Date, at: Date): Promise<number> {
  const result = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', scheduled: false, next_attempt_at: at, updated_at: at, locked_until: null, locked_by: null })
    .where('agency_id', '=', agencyId)
    .where('subscription_id', '=', subscriptionId)
    .where('status', 'in', ['failed', 'cancelled'])
    .where('is_test', '=', false)
    .where('id', '>=', idFloor('whdel', since)) // created since: ids are time-ordered
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

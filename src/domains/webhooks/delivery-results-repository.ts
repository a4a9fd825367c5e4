/**
 * SQL that records what attempts did. One statement (data-modifying CTEs, arrays through
 * unnest) writes a whole batch: the attempt rows, the end of each lease, and clearing the
 * failure run of subscriptions that just succeeded. So a busy worker pays one round trip and
 * one commit for many attempts instead of a transaction per delivery.
 */
import { sql } from 'kysely';
import type { DeliveryErrorKind, DeliveryStatus, Executor } from '../../db/types.ts';
import { newId } from '../../lib/ids.ts';

export interface AttemptRecord {
  deliveryId: string;
  agencyId: string;
  attemptNumber: number;
  startedAt: Date;
  durationMs: number;
  requestHeaders: Record<string, string>;
  responseStatus: number | null;
  responseHeaders: Record<string, string> | null;
  responseBodyExcerpt: string | null;
  errorKind: DeliveryErrorKind | null;
  errorMessage: string | null;
}

export interface DeliveryResult {
  status: Exclude<DeliveryStatus, 'delivering'>;
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
}

export interface Release {
  /** The lease being ended: only its holder, for that attempt, may end it. */
  id: string;
  workerId: string;
  attempts: number;
  now: Date;
  result: DeliveryResult;
  /** Cancelled without sending: the claim's count of this attempt is taken back. */
  uncount?: boolean;
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
        (id, delivery_id, agency_id, attempt_number, started_at, duration_ms, request_headers,
         response_status, response_headers, response_body_excerpt, error_kind, error_message)
      SELECT * FROM unnest(
        ${column((a) => newId('whatt', a.startedAt))}::text[], ${column((a) => a.deliveryId)}::text[],
        ${column((a) => a.agencyId)}::text[], ${column((a) => a.attemptNumber)}::int[],
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

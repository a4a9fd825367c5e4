/**
 * What the list indexes cost the writes: WAL records per row written, by each write the product
 * makes to the seeded tables (the columns as the repositories set them), summed from
 * `EXPLAIN (ANALYZE, WAL)` of each statement inside a transaction that is rolled back, so the
 * tables stay as seeded. A row version and each index entry written for it are one record each:
 * a count that timings on a shared machine cannot blur. (Bytes can: whether a page's first
 * change since the last checkpoint logs a full-page image depends on when that checkpoint was.)
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { DB } from '../../src/db/types.ts';
import type { PollingFixture, SeededTable } from './seed.ts';

export interface WritePath {
  table: SeededTable;
  label: string;
  /** The statements of one batch, in order; `rows` rows are written by each. */
  statements(fixture: PollingFixture): RawBuilder<unknown>[];
}

const ROWS = 200;

/** The huge agency's newest rows of a table, copied under new ids that sort after every existing one (as new ids do). */
function copies(fixture: PollingFixture, table: SeededTable, columns: string, select: string): RawBuilder<unknown> {
  return sql.raw(`INSERT INTO ${table} (${columns})
    SELECT ${select} FROM (SELECT * FROM ${table} WHERE agency_id = '${fixture.agencies[0]!.id}' ORDER BY id DESC LIMIT ${ROWS}) AS t`);
}

/** The huge agency's oldest rows of a table: an update then touches rows in pages no recent write has. */
const oldest = (fixture: PollingFixture, table: SeededTable) =>
  `SELECT id FROM ${table} WHERE agency_id = '${fixture.agencies[0]!.id}' ORDER BY id LIMIT ${ROWS}`;

const now = (fixture: PollingFixture) => `'${fixture.now.toISOString()}'::timestamptz`;
/** Every id starts with a lower-case type prefix, so `zz_…` sorts after all of them, in any collation. */
const copied = `'zz_' || t.id`;
const copiedDeliveries = `SELECT id FROM webhook_deliveries WHERE id > 'zz_'`;

export const WRITE_PATHS: WritePath[] = [
  {
    table: 'conversations', label: 'a conversation starts',
    statements: (f) => [copies(f, 'conversations', 'id, agency_id, location_id, channel, contact_name, status, created_at, updated_at',
      `${copied}, agency_id, location_id, channel, contact_name, 'open', created_at, updated_at`)],
  },
  {
    // touchConversation, on every message of the conversation.
    table: 'conversations', label: 'a message touches its conversation',
    statements: (f) => [sql.raw(`UPDATE conversations SET last_message_at = ${now(f)}, updated_at = ${now(f)}, status = 'open' WHERE id IN (${oldest(f, 'conversations')})`)],
  },
  {
    table: 'messages', label: 'a message is recorded',
    statements: (f) => [copies(f, 'messages', 'id, agency_id, conversation_id, direction, body, status, created_at',
      `${copied}, agency_id, conversation_id, direction, body, status, created_at`)],
  },
  {
    table: 'reviews', label: 'a review arrives',
    statements: (f) => [copies(f, 'reviews', 'id, agency_id, location_id, source, rating, author_name, body, published_at, created_at, updated_at',
      `${copied}, agency_id, location_id, source, rating, author_name, body, published_at, created_at, updated_at`)],
  },
  {
    table: 'leads', label: 'a lead is created',
    statements: (f) => [copies(f, 'leads', 'id, agency_id, location_id, name, source, status, notes, created_at, updated_at',
      `${copied}, agency_id, location_id, name, source, status, notes, created_at, updated_at`)],
  },
  {
    table: 'leads', label: 'a lead moves on (status, updated_at)',
    statements: (f) => [sql.raw(`UPDATE leads SET status = 'contacted', updated_at = ${now(f)} WHERE id IN (${oldest(f, 'leads')})`)],
  },
  {
    table: 'events', label: 'an event is raised and dispatched',
    statements: (f) => [
      copies(f, 'events', 'id, agency_id, type, data, created_at', `${copied}, agency_id, type, data, created_at`),
      sql.raw(`UPDATE events SET dispatched_at = ${now(f)} WHERE id > 'zz_'`),
    ],
  },
  {
    // Queued, claimed, its lease renewed once, recorded as delivered; for the same events, to another subscription.
    table: 'webhook_deliveries', label: 'a delivery: queued, claimed, lease renewed, delivered',
    statements: (f) => [
      copies(f, 'webhook_deliveries', 'id, agency_id, subscription_id, event_id, event_type, payload, status, attempts, next_attempt_at, created_at, updated_at',
        `${copied}, agency_id, '${f.agencies[1]!.subscription}', event_id, event_type, payload, 'pending', 0, created_at, created_at, created_at`),
      sql.raw(`UPDATE webhook_deliveries SET status = 'delivering', attempts = attempts + 1, locked_until = ${now(f)} + interval '30 seconds',
                 locked_by = 'bench', updated_at = ${now(f)} WHERE id IN (${copiedDeliveries})`),
      sql.raw(`UPDATE webhook_deliveries SET locked_until = ${now(f)} + interval '60 seconds' WHERE id IN (${copiedDeliveries})`),
      sql.raw(`UPDATE webhook_deliveries SET status = 'succeeded', last_status_code = 204, delivered_at = ${now(f)}, locked_until = NULL, locked_by = NULL,
                 updated_at = ${now(f)} WHERE id IN (${copiedDeliveries})`),
    ],
  },
  {
    table: 'audit_log', label: 'an audit entry is written',
    statements: (f) => [copies(f, 'audit_log', 'id, agency_id, action, details, created_at, actor_type, actor_id, request_id, target_type, target_id',
      `${copied}, agency_id, action, details, created_at, actor_type, actor_id, request_id, target_type, target_id`)],
  },
];

class RolledBack extends Error {}

/** WAL records per row of one batch of `path`, rolled back afterwards. */
export async function walRecordsPerRow(db: Kysely<DB>, fixture: PollingFixture, path: WritePath): Promise<number> {
  let records = 0;
  try {
    await db.transaction().execute(async (trx) => {
      for (const statement of path.statements(fixture)) {
        const plan = await sql<{ 'QUERY PLAN': [{ Plan: { 'WAL Records': number } }] }>`EXPLAIN (ANALYZE, WAL, FORMAT JSON) ${statement}`.execute(trx);
        records += plan.rows[0]!['QUERY PLAN'][0].Plan['WAL Records'];
      }
      throw new RolledBack();
    });
  } catch (error) {
    if (!(error instanceof RolledBack)) throw error;
  }
  return records / ROWS;
}

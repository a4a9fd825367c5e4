/**
 * Seeds the tables of the public lists with SQL (`INSERT … SELECT generate_series`), so a million
 * rows take seconds, for the polling benchmark (bench/api-polling.ts) and the query-plan test
 * (test/public-api/filter-plans.test.ts).
 *
 * Row `i` of a table (0 = newest) was made `i` steps before the fixture's `now`: growing a table
 * adds history further in the past, so "the last 30 minutes" holds the same rows at every size,
 * as it does for an integration whose agency has years of data behind today's few changes.
 * Every id is a pure function of (table, i), time-ordered like `newId`, so a message can name
 * its conversation and a delivery its event without a lookup.
 *
 * Agencies are skewed: row i belongs to agency `i % 200` < 180 (the huge one, 90 %), then 10, 6,
 * 3 and 1 of 200. Each closed-set column has one rare value that every agency holds a handful
 * of (one row in 40,000, fewer than a page at a million rows): the value whose filter walks the
 * whole agency when no index bounds it. The others have ordinary shares.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { DB } from '../../src/db/types.ts';
import { newId } from '../../src/lib/ids.ts';

export type SeededTable = 'conversations' | 'messages' | 'reviews' | 'leads' | 'events' | 'webhook_deliveries' | 'audit_log';

export const SEEDED_TABLES: readonly SeededTable[] = ['conversations', 'messages', 'reviews', 'leads', 'events', 'webhook_deliveries', 'audit_log'];

/** Cumulative upper bounds of `i % 200` per agency: the first row of each is also its first rare row. */
const AGENCY_BOUNDS = [180, 190, 196, 199, 200];
const AGENCY_FIRST_ROW = [0, 180, 190, 196, 199];
const LOCATIONS_PER_AGENCY = [200, 10, 5, 5, 2];
const RARE_EVERY = 40_000;

/**
 * Time between two rows of a table. A poll asks for the last {@link POLL_WINDOW_ROWS} rows' time:
 * half a page, as `/reviews?created_since=<30 min ago>` returned 15 rows out of a million.
 */
export const STEP_MS: Record<SeededTable, number> = {
  conversations: 120_000,
  // 20 messages per conversation, in its time: conversation c ≈ message i / 20.
  messages: 6_000,
  reviews: 120_000,
  leads: 120_000,
  // Events and deliveries are kept 30 days: a million of them fills the window.
  events: 2_500,
  webhook_deliveries: 2_500,
  audit_log: 120_000,
};
export const POLL_WINDOW_ROWS = 15;

/** The rare value of each filtered column (see the header). */
export const RARE = {
  conversationStatus: 'open',
  conversationChannel: 'email',
  messageDirection: 'inbound',
  reviewSource: 'yelp',
  reviewRating: 1,
  leadStatus: 'converted',
  eventType: 'sync.failed',
  deliveryStatus: 'failed',
  auditAction: 'webhook.recovered',
} as const;

/** The oldest rows of conversations and leads are "updated" within the last 30 minutes: this many, spread by agency size. */
export const RECENTLY_UPDATED_OLD_ROWS = 40;

export interface SeededAgency {
  id: string;
  /** A location, a conversation (its newest) and the webhook subscription of this agency, at any size. */
  location: string;
  conversation: string;
  subscription: string;
}

export interface PollingFixture {
  now: Date;
  /** The huge agency first, the smallest last. */
  agencies: SeededAgency[];
  rows: Record<SeededTable, number>;
}

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/** Milliseconds since the epoch of row `i` of `table` (`i` an SQL expression). */
function rowMs(now: Date, table: SeededTable, i: RawBuilder<unknown>): RawBuilder<number> {
  return sql<number>`(${sql.lit(now.getTime())}::bigint - (${i})::bigint * ${sql.lit(STEP_MS[table])})`;
}

/**
 * `newId`'s layout in SQL: prefix, 10 base-32 characters of milliseconds, then 16 characters that
 * are random in a real id and the row number in hex here (hex is a subset of the alphabet, and
 * md5 would double the cost of a million rows).
 */
function idSql(prefix: string, ms: RawBuilder<unknown>, row: RawBuilder<unknown>): RawBuilder<string> {
  const chars = [];
  for (let k = 9; k >= 0; k--) chars.push(sql`substr(${sql.lit(CROCKFORD)}, ((${ms} >> ${sql.lit(5 * k)}) & 31)::int + 1, 1)`);
  return sql<string>`(${sql.lit(`${prefix}_`)} || ${sql.join(chars, sql` || `)} || lpad(to_hex(${row}), 16, '0'))`;
}

const conversationId = (now: Date, c: RawBuilder<unknown>) => idSql('conv', rowMs(now, 'conversations', c), c);

/** Location ids are 10 characters of the agency's random part + k in hex, so row SQL can name them. */
const locationPrefix = (agency: string) => `loc_${agency.slice(-16, -6)}`;
const locationId = (agency: string, k: number) => `${locationPrefix(agency)}${k.toString(16).padStart(16, '0')}`;

export async function createPollingFixture(db: Kysely<DB>, now = new Date()): Promise<PollingFixture> {
  const agencies: SeededAgency[] = [];
  for (const [b, locations] of LOCATIONS_PER_AGENCY.entries()) {
    const id = newId('agy', now);
    await db.insertInto('agencies').values({ id, name: `Polling agency ${b}`, tier: 'enterprise', api_rate_limit: null, updated_at: now }).execute();
    await db.insertInto('locations')
      .values(Array.from({ length: locations }, (_, k) => ({
        id: locationId(id, k), agency_id: id, name: `Location ${k}`, address_line1: '', city: '', region: '', postal_code: '',
        country: 'US', phone: null, website: null, timezone: 'UTC', created_at: now, updated_at: now,
      })))
      .execute();
    const subscription = newId('whsub', now);
    await db.insertInto('webhook_subscriptions')
      .values({
        id: subscription, agency_id: id, url: 'https://hooks.example.com/faro', events: JSON.stringify(['*']), secret_sealed: 'unused',
        previous_secret_sealed: null, previous_secret_expires_at: null, disabled_reason: null, disabled_at: null, failing_since: null, deleted_at: null, updated_at: now,
      })
      .execute();
    const first = sql.lit(AGENCY_FIRST_ROW[b]!);
    const conversation = (await sql<{ id: string }>`SELECT ${conversationId(now, first)} AS id`.execute(db)).rows[0]!.id;
    agencies.push({ id, location: locationId(id, 0), conversation, subscription });
  }
  const rows = Object.fromEntries(SEEDED_TABLES.map((table) => [table, 0])) as Record<SeededTable, number>;
  return { now, agencies, rows };
}

/**
 * Rows `from` to `to - 1` of `table`: i, ms (its time), b (its agency), rare (one of the agency's
 * rare rows) and r (a roll 0–999 per row, independent of the agency).
 */
function rowSource(now: Date, table: SeededTable, from: number, to: number): RawBuilder<unknown> {
  const bucket = sql.join(AGENCY_BOUNDS.map((bound, b) => sql`WHEN i % 200 < ${sql.lit(bound)} THEN ${sql.lit(b)}`), sql` `);
  return sql`(SELECT i, ${rowMs(now, table, sql`i`)} AS ms, (CASE ${bucket} END) AS b,
                     (i % ${sql.lit(RARE_EVERY)}) IN (${sql.join(AGENCY_FIRST_ROW.map((row) => sql.lit(row)))}) AS rare,
                     abs(hashint8(i::bigint)) % 1000 AS r
                FROM generate_series(${sql.lit(from)}::int, ${sql.lit(to - 1)}::int) AS i) AS row`;
}

/** The rare value on rare rows, else one of `shares` by the roll (cumulative per-mille bounds). */
function pick(rare: string | number, shares: readonly (readonly [string | number, number])[]): RawBuilder<unknown> {
  const branches = shares.map(([value, upTo]) => sql`WHEN r < ${sql.lit(upTo)} THEN ${sql.lit(value)}`);
  return sql`(CASE WHEN rare THEN ${sql.lit(rare)} ${sql.join(branches, sql` `)} END)`;
}

function locationSql(fixture: PollingFixture): RawBuilder<string> {
  const branches = fixture.agencies.map((agency, b) =>
    sql`WHEN ${sql.lit(b)} THEN ${sql.lit(locationPrefix(agency.id))} || lpad(to_hex((i / 200) % ${sql.lit(LOCATIONS_PER_AGENCY[b]!)}), 16, '0')`);
  return sql<string>`(CASE b ${sql.join(branches, sql` `)} END)`;
}

const EVENT_TYPE_SHARES = [['message.received', 700], ['conversation.created', 820], ['review.created', 920], ['lead.converted', 1000]] as const;

function insertRows(fixture: PollingFixture, table: SeededTable, from: number, to: number): RawBuilder<unknown> {
  const { now } = fixture;
  const rows = rowSource(now, table, from, to);
  const ms = sql`ms`;
  const created = sql`(timestamptz 'epoch' + ms * interval '1 millisecond')`;
  const agency = sql`(${sql.val(fixture.agencies.map((a) => a.id))}::text[])[b + 1]`;
  switch (table) {
    case 'conversations':
      return sql`INSERT INTO conversations (id, agency_id, location_id, channel, contact_name, status, last_message_at, created_at, updated_at)
        SELECT ${idSql('conv', ms, sql`i`)}, ${agency}, ${locationSql(fixture)},
               ${pick(RARE.conversationChannel, [['sms', 600], ['webchat', 800], ['google', 900], ['facebook', 1000]])},
               'Contact ' || i, ${pick(RARE.conversationStatus, [['closed', 1000]])}, ${created}, ${created}, ${created} FROM ${rows}`;
    case 'messages': {
      // Message i's conversation: the one of its agency (same i % 200) made at about its time.
      const c = sql`((i / 4000) * 200 + i % 200)`;
      return sql`INSERT INTO messages (id, agency_id, conversation_id, direction, body, status, created_at)
        SELECT ${idSql('msg', ms, sql`i`)}, ${agency}, ${conversationId(now, c)},
               ${pick(RARE.messageDirection, [['outbound', 1000]])}, 'Message ' || i, 'delivered', ${created} FROM ${rows}`;
    }
    case 'reviews':
      return sql`INSERT INTO reviews (id, agency_id, location_id, source, rating, author_name, body, published_at, created_at, updated_at)
        SELECT ${idSql('rev', ms, sql`i`)}, ${agency}, ${locationSql(fixture)},
               ${pick(RARE.reviewSource, [['google', 850], ['facebook', 1000]])},
               ${pick(RARE.reviewRating, [[5, 600], [4, 850], [3, 950], [2, 1000]])}::smallint,
               'Reviewer ' || i, 'Great service, would come back.', ${created}, ${created}, ${created} FROM ${rows}`;
    case 'leads':
      return sql`INSERT INTO leads (id, agency_id, location_id, name, source, status, notes, created_at, updated_at)
        SELECT ${idSql('lead', ms, sql`i`)}, ${agency}, ${locationSql(fixture)}, 'Lead ' || i, 'website_form',
               ${pick(RARE.leadStatus, [['new', 300], ['contacted', 600], ['qualified', 800], ['lost', 1000]])}, '', ${created}, ${created} FROM ${rows}`;
    case 'events':
      return sql`INSERT INTO events (id, agency_id, type, data, created_at, dispatched_at)
        SELECT ${idSql('evt', ms, sql`i`)}, ${agency}, ${pick(RARE.eventType, EVENT_TYPE_SHARES)}, '{}'::jsonb, ${created}, ${created} FROM ${rows}`;
    case 'webhook_deliveries': {
      // Delivery i carries event i (same time, agency and type): one per event, as the dispatcher makes them.
      const event = idSql('evt', ms, sql`i`);
      return sql`INSERT INTO webhook_deliveries (id, agency_id, subscription_id, event_id, event_type, payload, status, attempts, created_at, updated_at)
        SELECT ${idSql('whdel', ms, sql`i`)}, ${agency}, (${sql.val(fixture.agencies.map((a) => a.subscription))}::text[])[b + 1], ${event},
               ${pick(RARE.eventType, EVENT_TYPE_SHARES)}, '{"id":"' || ${event} || '"}', ${pick(RARE.deliveryStatus, [['cancelled', 5], ['succeeded', 1000]])}, 1,
               ${created}, ${created} FROM ${rows}`;
    }
    case 'audit_log':
      return sql`INSERT INTO audit_log (id, agency_id, action, details, created_at, actor_type, actor_id, request_id, target_type, target_id)
        SELECT ${idSql('audit', ms, sql`i`)}, ${agency},
               ${pick(RARE.auditAction, [['api_key.created', 300], ['api_key.rotated', 400], ['api_key.revoked', 600], ['webhook.created', 700],
                                         ['webhook.updated', 850], ['webhook.deleted', 900], ['webhook.secret_revealed', 950], ['webhook.secret_rotated', 970],
                                         ['webhook_delivery.redelivered', 1000]])},
               '{}'::jsonb, ${created}, 'operator', NULL, NULL, 'api_key', 'key_' || i FROM ${rows}`;
  }
}

/** A message names a conversation made at about its time; a delivery, the event of the same row. */
function prerequisite(table: SeededTable, rows: number): [SeededTable, number] | null {
  if (table === 'messages') return ['conversations', Math.ceil(rows / 20) + 200];
  if (table === 'webhook_deliveries') return ['events', rows];
  return null;
}

/**
 * Grow `table` to `rows` rows (never shrinks it), and what its rows refer to as far as needed.
 * For conversations and leads, the oldest rows of each agency are then the ones "updated in the
 * last 30 minutes": the worst case for a walk in id order, and as many of them at every size.
 */
export async function growPollingTable(db: Kysely<DB>, fixture: PollingFixture, table: SeededTable, rows: number): Promise<void> {
  const parent = prerequisite(table, rows);
  if (parent) await growPollingTable(db, fixture, ...parent);
  const from = fixture.rows[table];
  if (rows <= from) return;
  await insertRows(fixture, table, from, rows).execute(db);
  fixture.rows[table] = rows;
  if (table === 'conversations' || table === 'leads') {
    await sql`UPDATE ${sql.table(table)} SET updated_at = created_at WHERE updated_at <> created_at`.execute(db);
    await sql`
      UPDATE ${sql.table(table)} AS t SET updated_at = ${fixture.now}::timestamptz - oldest.n * interval '30 seconds'
        FROM unnest(${sql.val(fixture.agencies.map((a) => a.id))}::text[], ${sql.val(updatedPerAgency)}::int[]) AS agency (id, updated)
             CROSS JOIN LATERAL (SELECT id, row_number() OVER (ORDER BY id) AS n FROM ${sql.table(table)}
                                  WHERE agency_id = agency.id ORDER BY id LIMIT agency.updated) AS oldest
       WHERE t.id = oldest.id`.execute(db);
  }
}

const updatedPerAgency = AGENCY_BOUNDS.map((bound, b) => Math.max(1, Math.round((RECENTLY_UPDATED_OLD_ROWS * (bound - (AGENCY_BOUNDS[b - 1] ?? 0))) / 200)));

export async function growPollingTables(db: Kysely<DB>, fixture: PollingFixture, rows: number): Promise<void> {
  for (const table of SEEDED_TABLES) await growPollingTable(db, fixture, table, rows);
}

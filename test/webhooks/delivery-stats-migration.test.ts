// 0014_delivery_stats_indexes.sql gives attempts their delivery's subscription and test flag, which
// the endpoint charts read. Attempts recorded before it, and those a node still on the previous
// release records during a rolling deploy, must count as the engine's own do.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { listMigrations, migrate } from '../../src/db/migrator.ts';
import { newId } from '../../src/lib/ids.ts';
import { attemptLatencyPerHour, deliveriesPerHour } from '../../src/domains/webhooks/delivery-stats-repository.ts';
import { emptyDatabase, migrationsBefore, type Cleanups } from '../support/migration-database.ts';

const STATS_MIGRATION = '0014_delivery_stats_indexes.sql';
const HOUR = 3600_000;
const at = new Date('2026-03-02T08:10:00.000Z');
const cleanups: Cleanups = [];
let database: Database;

/** A delivery and its attempts (durations in ms), written as the release before 0014 wrote them: attempts without subscription. */
async function oldShapeDelivery(options: { isTest: boolean; durations: number[] }): Promise<string> {
  const id = newId('whdel', at);
  await sql`
    INSERT INTO webhook_deliveries (id, agency_id, subscription_id, event_type, payload, status, attempts, is_test, created_at, updated_at)
    VALUES (${id}, 'agy_a', 'whsub_a', 'review.created', '{}', 'succeeded', ${options.durations.length}, ${options.isTest}, ${at}, ${at})`.execute(database.db);
  for (const [i, duration] of options.durations.entries()) {
    const startedAt = new Date(at.getTime() + i * 5000);
    await sql`
      INSERT INTO webhook_delivery_attempts (id, delivery_id, agency_id, attempt_number, started_at, duration_ms, request_headers)
      VALUES (${newId('whatt', startedAt)}, ${id}, 'agy_a', ${i + 1}, ${startedAt}, ${duration}, '{}')`.execute(database.db);
  }
  return id;
}

beforeAll(async () => {
  database = await emptyDatabase(cleanups);
  await migrate(database.db, migrationsBefore(STATS_MIGRATION, cleanups));
  await sql`INSERT INTO agencies (id, name, tier, created_at, updated_at) VALUES ('agy_a', 'A', 'scale', now(), now())`.execute(database.db);
  await sql`
    INSERT INTO webhook_subscriptions (id, agency_id, url, events, secret_sealed)
    VALUES ('whsub_a', 'agy_a', 'https://hooks.example.com/a', '["*"]', 'x')`.execute(database.db);
  await oldShapeDelivery({ isTest: false, durations: [100, 300] });
  await oldShapeDelivery({ isTest: true, durations: [9999] });
  expect(await migrate(database.db)).toEqual(listMigrations().map((m) => m.name).filter((name) => name >= STATS_MIGRATION));
}, 120_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe(STATS_MIGRATION, () => {
  const attempts = () =>
    database.db.selectFrom('webhook_delivery_attempts').select(['duration_ms', 'subscription_id', 'is_test']).orderBy('duration_ms').execute();

  it('fills the subscription and test flag of the attempts recorded before it', async () => {
    expect(await attempts()).toEqual([
      { duration_ms: 100, subscription_id: 'whsub_a', is_test: false },
      { duration_ms: 300, subscription_id: 'whsub_a', is_test: false },
      { duration_ms: 9999, subscription_id: 'whsub_a', is_test: true },
    ]);
  });

  it('fills them on an attempt recorded without them (a node on the previous release), and the charts count both', async () => {
    await oldShapeDelivery({ isTest: false, durations: [200] });
    expect((await attempts()).find((row) => row.duration_ms === 200)).toEqual({ duration_ms: 200, subscription_id: 'whsub_a', is_test: false });

    const from = new Date('2026-03-02T00:00:00.000Z');
    const to = new Date(from.getTime() + 24 * HOUR);
    const hour = Math.floor(at.getTime() / HOUR);
    const deliveries = await deliveriesPerHour(database.db, 'agy_a', 'whsub_a', from, to);
    const latency = await attemptLatencyPerHour(database.db, 'agy_a', 'whsub_a', from, to);
    expect(deliveries).toHaveLength(24);
    expect(deliveries.find((row) => row.hour === hour)).toEqual({ hour, succeeded: 2, failed: 0, retrying: 0 });
    expect(latency.find((row) => row.hour === hour)).toEqual({ hour, attempts: 3, p50: 200, p95: 290 });
    // Another agency asking for the subscription sees nothing of it.
    expect(await attemptLatencyPerHour(database.db, 'agy_b', 'whsub_a', from, to)).toEqual([]);
  });
});

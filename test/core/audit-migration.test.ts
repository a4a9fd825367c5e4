// 0007_audit_events.sql moves the key-only audit entries into the general shape: `via` becomes
// the actor's type, key_id the target. Entries written before it must read as before.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { listMigrations, migrate } from '../../src/db/migrator.ts';
import { emptyDatabase, migrationsBefore, type Cleanups } from '../support/migration-database.ts';

const AUDIT_MIGRATION = '0007_audit_events.sql';
const cleanups: Cleanups = [];
let database: Database;

beforeAll(async () => {
  database = await emptyDatabase(cleanups);
  await migrate(database.db, migrationsBefore(AUDIT_MIGRATION, cleanups));
  // The old shape, as src/domains/api wrote it: via in details, the key in key_id.
  await sql`
    INSERT INTO agencies (id, name, tier, created_at, updated_at) VALUES ('agy_a', 'A', 'scale', now(), now());
    `.execute(database.db);
  await sql`INSERT INTO users (id, agency_id, email, password_hash, role) VALUES ('usr_a', 'agy_a', 'a@agency.test', 'x', 'owner')`.execute(database.db);
  await sql`
    INSERT INTO api_keys (id, agency_id, key_hash, name, scopes, display_prefix, display_suffix, created_by)
    VALUES ('key_a', 'agy_a', 'hash', 'CRM', '["locations:read"]', 'faro_live_abcd', 'wxyz', 'usr_a')`.execute(database.db);
  await sql`
    INSERT INTO audit_log (id, agency_id, actor_user_id, action, key_id, details, created_at) VALUES
      ('audit_1', 'agy_a', 'usr_a', 'api_key.created', 'key_a', '{"via": "portal", "name": "CRM"}', '2026-01-01T00:00:00Z'),
      ('audit_2', 'agy_a', NULL, 'api_key.revoked', 'key_a', '{"via": "operator", "name": "CRM"}', '2026-01-02T00:00:00Z')`.execute(database.db);
  expect(await migrate(database.db)).toEqual(listMigrations().map((m) => m.name).filter((name) => name >= AUDIT_MIGRATION));
}, 120_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe(AUDIT_MIGRATION, () => {
  it('turns via into the actor type and key_id into the target, and drops via from details', async () => {
    const rows = await database.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
    expect(rows).toEqual([
      expect.objectContaining({ id: 'audit_1', actor_type: 'user', actor_id: 'usr_a', target_type: 'api_key', target_id: 'key_a', request_id: null, details: { name: 'CRM' } }),
      expect.objectContaining({ id: 'audit_2', actor_type: 'operator', actor_id: null, target_type: 'api_key', target_id: 'key_a', request_id: null, details: { name: 'CRM' } }),
    ]);
    expect(rows[0]!.created_at.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('refuses an action, actor type or target type outside the closed sets, and an operator with an id', async () => {
    const insert = (overrides: Record<string, string | null>) =>
      database.db
        .insertInto('audit_log')
        .values({
          id: `audit_${randomBytes(4).toString('hex')}`,
          agency_id: 'agy_a',
          actor_type: 'user',
          actor_id: 'usr_a',
          request_id: 'req_1',
          action: 'webhook.created',
          target_type: 'webhook_subscription',
          target_id: 'whsub_1',
          details: '{}',
          created_at: new Date(),
          ...overrides,
        } as never)
        .execute();
    await insert({});
    await expect(insert({ action: 'webhook.exploded' })).rejects.toThrow(/audit_log_action_check/);
    await expect(insert({ actor_type: 'robot' })).rejects.toThrow(/audit_log_actor_check/);
    await expect(insert({ actor_type: 'operator', actor_id: 'usr_a' })).rejects.toThrow(/audit_log_actor_check/);
    await expect(insert({ target_type: 'agency' })).rejects.toThrow(/audit_log_target_check/);
  });
});

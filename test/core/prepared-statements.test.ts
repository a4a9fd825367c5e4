import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type Database } from '../../src/db/database.ts';
import { preparedStatementName } from '../../src/db/prepared-client.ts';
import { claimDueDeliveries, recordAttempts } from '../../src/domains/webhooks/delivery/queue-repository.ts';
import { createTestDatabase, usingPostgres } from '../support/database.ts';

describe('preparedStatementName', () => {
  it('names only SQL that starts with the marker', () => {
    expect(preparedStatementName('SELECT 1')).toBeNull();
    expect(preparedStatementName('SELECT 1 /* prepared: late */')).toBeNull();
    expect(preparedStatementName('/* prepared: Bad-Name */ SELECT 1')).toBeNull();
    expect(preparedStatementName('/* prepared: probe */ SELECT 1')).toMatch(/^probe_[0-9a-f]{12}$/);
  });

  it('gives two texts under one marker two names, and one text always the same name', () => {
    const one = preparedStatementName('/* prepared: probe */ SELECT 1');
    expect(preparedStatementName('\n  /* prepared: probe */ SELECT 1')).not.toBe(one);
    expect(preparedStatementName('/* prepared: probe */ SELECT 2')).not.toBe(one);
    expect(preparedStatementName('/* prepared: probe */ SELECT 1')).toBe(one);
  });
});

describe.skipIf(!usingPostgres())('prepared statements on Postgres', () => {
  let database: Database & { url?: string };
  let oneConnection: Database;

  beforeAll(async () => {
    database = await createTestDatabase();
    // One connection, so the statements prepared by the queries below are the ones listed.
    oneConnection = await openPostgres(database.url!, 1);
  });
  afterAll(async () => {
    await oneConnection?.close();
    await database?.close();
  });

  async function preparedOnConnection(): Promise<string[]> {
    const rows = await sql<{ name: string }>`SELECT name FROM pg_prepared_statements ORDER BY name`.execute(oneConnection.db);
    return rows.rows.map((row) => row.name);
  }

  it('prepares marked statements once per connection and leaves the rest unnamed', async () => {
    for (const n of [1, 2, 3]) {
      const result = await sql<{ n: number }>`/* prepared: probe */ SELECT ${n}::int AS n`.execute(oneConnection.db);
      expect(result.rows).toEqual([{ n }]);
    }
    await sql`SELECT 1`.execute(oneConnection.db);
    const names = await preparedOnConnection();
    expect(names.filter((name) => name.startsWith('probe_'))).toHaveLength(1);
    expect(names.every((name) => /^[a-z0-9_]+_[0-9a-f]{12}$/.test(name))).toBe(true);
  });

  it("the delivery queue's hot statements run prepared", async () => {
    const now = new Date();
    await claimDueDeliveries(oneConnection.db, { workerId: 'w', now, leaseUntil: now, limit: 5, subscriptionAllowances: new Map(), agencyAllowances: new Map(), subscriptionDefault: 2, agencyDefault: 5 });
    await recordAttempts(oneConnection.db, [], [{
      id: 'whdel_none', workerId: 'w', attempts: 1, now,
      result: { status: 'succeeded', nextAttemptAt: null, lastStatusCode: 204, lastError: null, deliveredAt: now },
    }]);
    const names = await preparedOnConnection();
    expect(names.some((name) => name.startsWith('claim_due_deliveries_'))).toBe(true);
    expect(names.some((name) => name.startsWith('record_attempts_'))).toBe(true);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import type { DB } from '../../src/db/types.ts';
import { createTestDatabase } from '../support/database.ts';
import type { Database } from '../../src/db/database.ts';
import { DEMO_AGENCY_NAME, DEMO_EMAIL, seedDemo } from '../../src/domains/simulation/demo-seed.ts';
import { systemClock } from '../../src/lib/clock.ts';

async function count(db: Kysely<DB>, table: 'agencies' | 'users' | 'locations' | 'conversations' | 'messages' | 'reviews' | 'leads', agencyId?: string) {
  let query = db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n'));
  if (agencyId && table !== 'agencies') query = query.where('agency_id', '=', agencyId);
  return Number((await query.executeTakeFirstOrThrow()).n);
}

describe('demo seed', () => {
  let database: Database;
  let agencyId: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    const first = await seedDemo(database.db, 'demo-password-123', systemClock);
    expect(first.created).toBe(true);
    agencyId = first.agencyId;
  }, 120_000);
  afterAll(async () => database.close());

  it('is idempotent: a second run finds the demo agency and creates nothing', async () => {
    const before = await count(database.db, 'conversations');
    const second = await seedDemo(database.db, 'another-password-456', systemClock);
    expect(second).toEqual({ created: false, agencyId });
    const agencies = await database.db.selectFrom('agencies').select(['id', 'name', 'tier']).execute();
    expect(agencies).toEqual([{ id: agencyId, name: DEMO_AGENCY_NAME, tier: 'scale' }]);
    expect(await count(database.db, 'users')).toBe(1);
    expect(await count(database.db, 'conversations')).toBe(before);
  });

  it('creates a scale agency with an owner, three locations and a realistic history', async () => {
    const owner = await database.db.selectFrom('users').select(['email', 'role', 'agency_id']).executeTakeFirstOrThrow();
    expect(owner).toEqual({ email: DEMO_EMAIL, role: 'owner', agency_id: agencyId });
    expect(await count(database.db, 'locations', agencyId)).toBe(3);

    const conversations = await count(database.db, 'conversations', agencyId);
    expect(conversations).toBeGreaterThan(0);
    // Each seeded conversation has the contact's message and the business's reply.
    expect(await count(database.db, 'messages', agencyId)).toBe(conversations * 2);
    expect(await count(database.db, 'reviews', agencyId)).toBeGreaterThan(0);
    expect(await count(database.db, 'leads', agencyId)).toBeGreaterThan(0);

    const oldest = await database.db.selectFrom('conversations').select((eb) => eb.fn.min('created_at').as('at')).executeTakeFirstOrThrow();
    expect(Date.now() - new Date(oldest.at as Date).getTime()).toBeGreaterThan(7 * 24 * 3600_000);
  });

  it('records the events of its history, all marked dispatched so no webhook fans them out', async () => {
    const events = await database.db.selectFrom('events').select(['type', 'agency_id', 'dispatched_at']).execute();
    const conversations = await count(database.db, 'conversations', agencyId);
    const byType = (type: string) => events.filter((event) => event.type === type).length;
    expect(byType('conversation.created')).toBe(conversations);
    expect(byType('message.received')).toBe(conversations);
    expect(byType('review.created')).toBe(await count(database.db, 'reviews', agencyId));
    const converted = await database.db.selectFrom('leads').select('id').where('status', '=', 'converted').execute();
    expect(byType('lead.converted')).toBe(converted.length);
    expect(events.every((event) => event.agency_id === agencyId && event.dispatched_at !== null)).toBe(true);
  });
});

describe('demo seed, two replicas at once', () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database.close());

  it('seeds one demo agency: the replica that loses the race reuses it instead of failing', async () => {
    const results = await Promise.all([seedDemo(database.db, 'demo-password-123', systemClock), seedDemo(database.db, 'demo-password-456', systemClock)]);
    expect(results.map((result) => result.created).sort()).toEqual([false, true]);
    expect(results[0]!.agencyId).toBe(results[1]!.agencyId);
    expect(await count(database.db, 'agencies')).toBe(1);
    expect(await count(database.db, 'users')).toBe(1);
    expect(await count(database.db, 'locations')).toBe(3);
  }, 120_000);
});

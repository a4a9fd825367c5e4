import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { createManualClock } from '../../src/lib/clock.ts';
import { generateApiKey } from '../../src/domains/api/key-format.ts';
import { KEY_CACHE_TTL_MS, KNOWN_KEY_MEMORY_MS } from '../../src/domains/api/key-auth.ts';
import { UNKNOWN_KEYS_PER_ADDRESS } from '../../src/domains/api/rate-limit-policy.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createTestDatabase, observingQueries } from '../support/database.ts';
import { agencyWithOwner } from '../support/fixtures.ts';
import { createApiKey, withKey } from '../support/api-keys.ts';

const clock = createManualClock(new Date('2026-04-01T12:00:00.000Z'));
let database: Database;
let lookups = 0;
let t: TestApp;

beforeAll(async () => {
  database = await createTestDatabase();
  // Counts the key lookups by hash, the work the throttle exists to bound.
  const isKeyLookup = (root: unknown) => {
    const node = root as { kind: string; from?: { froms: { table?: { identifier?: { name?: string } } }[] } };
    return node.kind === 'SelectQueryNode' && Boolean(node.from?.froms.some((from) => from.table?.identifier?.name === 'api_keys'));
  };
  t = await createTestApp({ clock, database: observingQueries(database, (node) => (lookups += isKeyLookup(node) ? 1 : 0)) });
});
afterAll(async () => {
  await t?.close();
  await database?.close();
});

const from = (remoteAddress: string, key: string) => t.app.inject({ ...withKey(key), remoteAddress });

describe('the guessing throttle counts before it looks up', () => {
  it('300 simultaneous unknown keys from one address: exactly 100 lookups, the rest refused unlooked', async () => {
    lookups = 0;
    const responses = await Promise.all(Array.from({ length: 300 }, () => from('198.51.100.20', generateApiKey().key)));
    const codes = responses.map((response) => response.json<{ code: string }>().code);
    expect(codes.filter((code) => code === 'unknown_api_key')).toHaveLength(UNKNOWN_KEYS_PER_ADDRESS);
    expect(codes.filter((code) => code === 'auth_throttled')).toHaveLength(300 - UNKNOWN_KEYS_PER_ADDRESS);
    expect(lookups).toBe(UNKNOWN_KEYS_PER_ADDRESS);
  });
});

describe('a burst of first uses of one key', () => {
  it('costs one reservation, not one per request', async () => {
    // A key this instance has never seen: created through another instance (own memory, own limiter).
    const other = await createTestApp({ clock, database });
    let fresh: Awaited<ReturnType<typeof createApiKey>>;
    try {
      const { owner } = await agencyWithOwner(other.app);
      fresh = await createApiKey(other.app, owner);
    } finally {
      await other.close();
    }
    lookups = 0;
    const first = await Promise.all(Array.from({ length: 50 }, () => from('198.51.100.70', fresh.key)));
    expect(first.map((response) => response.statusCode)).toEqual(Array(50).fill(200));
    expect(lookups).toBe(1);
    // 99 of the address's 100 lookups are left.
    const unknown = await Promise.all(Array.from({ length: UNKNOWN_KEYS_PER_ADDRESS }, () => from('198.51.100.70', generateApiKey().key)));
    const codes = unknown.map((response) => response.json<{ code: string }>().code);
    expect(codes.filter((code) => code === 'unknown_api_key')).toHaveLength(UNKNOWN_KEYS_PER_ADDRESS - 1);
    expect(codes.filter((code) => code === 'auth_throttled')).toHaveLength(1);
  });
});

describe('a valid key is never refused by the guessing throttle', () => {
  it('lets a key found before through, with a lookup, while its address is throttled', async () => {
    const { owner } = await agencyWithOwner(t.app);
    const key = await createApiKey(t.app, owner);
    expect((await from('198.51.100.30', key.key)).statusCode).toBe(200);
    clock.advance(KEY_CACHE_TTL_MS); // no longer cached: its next use needs a lookup

    for (let i = 0; i < UNKNOWN_KEYS_PER_ADDRESS; i++) await from('198.51.100.30', generateApiKey().key);
    expect((await from('198.51.100.30', generateApiKey().key)).statusCode).toBe(429);

    lookups = 0;
    expect((await from('198.51.100.30', key.key)).statusCode).toBe(200);
    expect(lookups).toBe(1);
    // Real keys do not use up the budget either: the address is refused no longer than before.
    expect((await from('198.51.100.30', generateApiKey().key)).statusCode).toBe(429);
  });

  it('lets a key created on this instance through before its first use', async () => {
    const { owner } = await agencyWithOwner(t.app);
    for (let i = 0; i <= UNKNOWN_KEYS_PER_ADDRESS; i++) await from('198.51.100.40', generateApiKey().key);
    expect((await from('198.51.100.40', generateApiKey().key)).statusCode).toBe(429);
    const fresh = await createApiKey(t.app, owner);
    expect((await from('198.51.100.40', fresh.key)).statusCode).toBe(200);
  });

  it('forgets a key unused for a day: its next lookup counts against the budget again', async () => {
    const { owner } = await agencyWithOwner(t.app);
    const key = await createApiKey(t.app, owner);
    expect((await from('198.51.100.50', key.key)).statusCode).toBe(200);
    // A day here, and a day and a bucket (1/60 of it) in the shared mark.
    clock.advance(KNOWN_KEY_MEMORY_MS + KNOWN_KEY_MEMORY_MS / 30);
    for (let i = 0; i < UNKNOWN_KEYS_PER_ADDRESS; i++) await from('198.51.100.50', generateApiKey().key);
    expect((await from('198.51.100.50', key.key)).json<{ code: string }>().code).toBe('auth_throttled');
  });
});

describe.runIf(process.env.TEST_REDIS_URL)('across instances on one Redis', () => {
  it('an instance that never saw a key lets it past the throttle when another instance found or created it', async () => {
    const prefix = `faro:test:guess:${Date.now()}:`;
    const a = await createTestApp({ clock, database, redisKeyPrefix: prefix });
    const b = await createTestApp({ clock, database, redisKeyPrefix: prefix });
    try {
      const { owner } = await agencyWithOwner(a.app);
      const used = await createApiKey(a.app, owner);
      expect((await a.app.inject({ ...withKey(used.key), remoteAddress: '198.51.100.60' })).statusCode).toBe(200);
      const created = await createApiKey(a.app, owner);

      // The address is throttled everywhere (the counter is shared).
      for (let i = 0; i < UNKNOWN_KEYS_PER_ADDRESS; i++) await a.app.inject({ ...withKey(generateApiKey().key), remoteAddress: '198.51.100.60' });
      expect((await b.app.inject({ ...withKey(generateApiKey().key), remoteAddress: '198.51.100.60' })).statusCode).toBe(429);

      // b has never seen either key, and still lets both through.
      expect((await b.app.inject({ ...withKey(used.key), remoteAddress: '198.51.100.60' })).statusCode).toBe(200);
      expect((await b.app.inject({ ...withKey(created.key), remoteAddress: '198.51.100.60' })).statusCode).toBe(200);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

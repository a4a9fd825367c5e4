import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createManualClock } from '../../src/lib/clock.ts';
import { findKey } from '../../src/domains/idempotency/repository.ts';
import { IDEMPOTENCY_KEY_MAX_LENGTH } from '../../src/domains/idempotency/key-header.ts';
import type { Lead } from '../../src/domains/leads/schemas.ts';
import { seedAgency, type Seeded } from './support.ts';
import { expectProblem } from '../support/problem.ts';

/*
 * The Idempotency-Key header is a Structured Field string (draft-ietf-httpapi-idempotency-key-header,
 * RFC 9651): the key is the string's content. The bare form clients send (`k`) names the same key
 * as `"k"`. A malformed value is a 400 that creates nothing and claims no key.
 */
const clock = createManualClock(new Date());
let t: TestApp;
let seed: Seeded;
let counter = 0;

beforeAll(async () => {
  t = await createTestApp({ clock, listen: true });
  seed = await seedAgency(t.app, () => clock.advance(60_000));
});

afterAll(async () => t?.close());

const uniqueKey = () => `8e03978e-40d5-43e8-bc93-${String(Date.now()).slice(-8)}${String(++counter).padStart(4, '0')}`;
const body = () => ({ location_id: seed.locations[0], name: 'Quinn' });

/** POST /leads over real HTTP with these header lines (repeated names are separate lines). */
async function post(keyLines: string[], payload: object = body()) {
  const headers = new Headers({ ...seed.headers, 'content-type': 'application/json' });
  for (const line of keyLines) headers.append('idempotency-key', line);
  const response = await fetch(`${t.url}/api/v1/leads`, { method: 'POST', headers, body: JSON.stringify(payload) });
  return { status: response.status, replayed: response.headers.get('idempotent-replayed'), json: (await response.json()) as Lead & { errors?: unknown[] } };
}

async function leadCount(): Promise<number> {
  return (await t.ctx.services.leads.list(seed.agency.id, {}, { limit: 100 })).data.length;
}

async function keyCount(): Promise<number> {
  const row = await t.ctx.db.selectFrom('idempotency_keys').select((eb) => eb.fn.countAll<string>().as('n')).where('agency_id', '=', seed.agency.id).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('Idempotency-Key syntax', () => {
  it('"k" and k are the same key, whichever comes first', async () => {
    for (const [first, second] of [
      [(k: string) => `"${k}"`, (k: string) => k],
      [(k: string) => k, (k: string) => `"${k}"`],
    ]) {
      const key = uniqueKey();
      const before = await leadCount();
      const created = await post([first!(key)]);
      expect(created.status).toBe(201);
      expect(created.replayed).toBeNull();
      const retried = await post([second!(key)]);
      expect(retried.status).toBe(201);
      expect(retried.replayed).toBe('true');
      expect(retried.json.id).toBe(created.json.id);
      expect(await leadCount()).toBe(before + 1);
      expect(await findKey(t.ctx.db, seed.agency.id, key)).toBeDefined();
    }
  });

  it('the key is the unescaped string content; parameters after it are ignored', async () => {
    const key = uniqueKey();
    const created = await post([`"${key}\\\\x"`]);
    expect(created.status).toBe(201);
    // The bare form takes a backslash literally: `k\x` is the string "k\\x".
    expect((await post([`${key}\\x`])).json.id).toBe(created.json.id);
    expect((await post([`"${key}\\\\x";origin=retry;n=2`])).json.id).toBe(created.json.id);
    expect(await findKey(t.ctx.db, seed.agency.id, `${key}\\x`)).toBeDefined();
  });

  it('a quoted key may hold what a bare one cannot: spaces, quotes, commas, semicolons', async () => {
    const key = `order 42, "north"; ${uniqueKey()}`;
    const created = await post([`"${key.replaceAll('"', '\\"')}"`]);
    expect(created.status).toBe(201);
    expect(await findKey(t.ctx.db, seed.agency.id, key)).toBeDefined();
    expect((await post([`"${key.replaceAll('"', '\\"')}"`])).replayed).toBe('true');
  });

  it(`a key of ${IDEMPOTENCY_KEY_MAX_LENGTH} characters is accepted, quoted or bare`, async () => {
    const key = uniqueKey().padEnd(IDEMPOTENCY_KEY_MAX_LENGTH, 'k');
    expect((await post([`"${key}"`])).status).toBe(201);
    expect((await post([key])).replayed).toBe('true');
  });

  it.each([
    ['an unterminated string', '"abc', 'must be one quoted string'],
    ['text after the string', '"abc" def', 'must be one quoted string'],
    ['a bad escape', '"a\\b"', 'must be one quoted string'],
    ['a token where a string belongs, quoted wrongly', '"abc"def', 'must be one quoted string'],
    ['a bare key with a quote', 'ab"c', 'must be a quoted string such as'],
    ['a bare key with a semicolon', 'abc;v=1', 'must be a quoted string such as'],
    ['a bare key with a space', 'has space', 'must be a quoted string such as'],
    ['an empty string', '""', 'must not be empty'],
    ['an empty bare key', '', 'must not be empty'],
    ['a quoted key too long', `"${'k'.repeat(IDEMPOTENCY_KEY_MAX_LENGTH + 1)}"`, `at most ${IDEMPOTENCY_KEY_MAX_LENGTH} characters`],
    ['a bare key too long', 'k'.repeat(IDEMPOTENCY_KEY_MAX_LENGTH + 1), `at most ${IDEMPOTENCY_KEY_MAX_LENGTH} characters`],
    ['a list of two quoted keys', '"a", "b"', 'must be sent once'],
    ['two bare keys in one line', 'a,b', 'must be sent once'],
  ])('%s → 400 naming the header, nothing created, no key claimed', async (_name, value, message) => {
    const [leads, keys] = [await leadCount(), await keyCount()];
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/leads', headers: { ...seed.headers, 'idempotency-key': value }, payload: body() });
    const problem = expectProblem(response, 400, 'validation_failed');
    expect(problem.errors).toEqual([{ path: 'header.idempotency-key', message: expect.stringContaining(message) }]);
    expect(await leadCount()).toBe(leads);
    expect(await keyCount()).toBe(keys);
  });

  it('two Idempotency-Key header lines → 400: the draft allows one per request', async () => {
    const before = await leadCount();
    const response = await post([uniqueKey(), uniqueKey()]);
    expect(response.status).toBe(400);
    expect(response.json.errors).toEqual([{ path: 'header.idempotency-key', message: 'must be sent once, with one key' }]);
    expect(await leadCount()).toBe(before);
  });
});

import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import {  } from '../support/fixtures.ts';
import { createApiKey } from '../support/api-keys.ts';
import { createManualClock } from '../../src/lib/clock.ts';
import type { Review } from '../../src/domains/reviews/schemas.ts';
import { ENDPOINTS, ids, seedAgency, type Seeded } from './support.ts';
import { expectProblem } from '../support/problem.ts';

const clock = createManualClock(new Date());
let t: TestApp;
let seed: Seeded;
/** A second agency with a handful of rows of each kind, for walks one row at a time. */
let small: Seeded;
let headers: Record<string, string>;
let locationId: string;
const created: string[] = [];

interface ReviewPage {
  data: Review[];
  has_more: boolean;
  next_cursor: string | null;
}

async function page(url: string): Promise<ReviewPage> {
  const response = await t.app.inject({ url, headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<ReviewPage>();
}

/** Reviews straight through the service, in one transaction, one second apart. */
async function createReviews(count: number): Promise<string[]> {
  const made: string[] = [];
  await t.ctx.db.transaction().execute(async (trx) => {
    for (let i = 0; i < count; i++) {
      clock.advance(1000);
      const { review } = await t.ctx.services.reviews.create(
        seed.agency.id,
        { location_id: locationId, source: 'google', rating: 1 + (i % 5), author_name: `Author ${i}`, body: `Review ${i}` },
        trx,
      );
      made.push(review.id);
    }
  });
  return made;
}

beforeAll(async () => {
  t = await createTestApp({ clock });
  seed = await seedAgency(t.app, () => clock.advance(60_000));
  small = await seedAgency(t.app, () => clock.advance(60_000));
  locationId = seed.locations[0]!;
  headers = (await createApiKey(t.app, seed.agency.id, { scopes: ['reviews:read', 'locations:read', 'conversations:read', 'messages:read', 'leads:read'] })).headers;
  created.push(...seed.reviews, ...(await createReviews(1000 - seed.reviews.length)));
}, 120_000);

afterAll(async () => t?.close());

describe('walking 1,000 reviews', () => {
  it('returns every row exactly once, newest first, across pages', async () => {
    const seen: Review[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const result: ReviewPage = await page(`/api/v1/reviews?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...result.data);
      cursor = result.next_cursor;
      pages++;
      expect(result.has_more).toBe(cursor !== null);
    } while (cursor);

    expect(pages).toBe(10);
    const seenIds = seen.map((review) => review.id);
    expect(new Set(seenIds).size).toBe(1000);
    expect(seenIds).toEqual([...created].reverse());
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i - 1]!.id > seen[i]!.id).toBe(true);
      expect(Date.parse(seen[i - 1]!.created_at)).toBeGreaterThan(Date.parse(seen[i]!.created_at));
    }
  });

  it('is stable when rows arrive mid-walk: new rows do not shift or repeat older ones', async () => {
    const seenIds: string[] = [];
    let result = await page('/api/v1/reviews?limit=37');
    seenIds.push(...result.data.map((review) => review.id));
    const arrivals = await createReviews(5);
    while (result.next_cursor) {
      result = await page(`/api/v1/reviews?limit=37&cursor=${result.next_cursor}`);
      seenIds.push(...result.data.map((review) => review.id));
    }
    expect(seenIds).toEqual([...created].reverse());
    expect(seenIds.some((id) => arrivals.includes(id))).toBe(false);

    const fresh = await page('/api/v1/reviews?limit=5');
    expect(fresh.data.map((review) => review.id)).toEqual([...arrivals].reverse());
    created.push(...arrivals);
  });

  it('pages with filters too, without gaps', async () => {
    const expected = (await page('/api/v1/reviews?rating=3&limit=100')).data.map((r) => r.id);
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const result: ReviewPage = await page(`/api/v1/reviews?rating=3&limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      walked.push(...result.data.map((review) => review.id));
      cursor = result.next_cursor;
    } while (cursor);
    expect(walked.length).toBeGreaterThan(100);
    expect(expected).toEqual(walked.slice(0, 100));
    expect(new Set(walked).size).toBe(walked.length);
  });

  it('defaults to 25, allows 1 and 100, ends with has_more false and a null cursor', async () => {
    expect((await page('/api/v1/reviews')).data).toHaveLength(25);
    expect((await page('/api/v1/reviews?limit=1')).data).toHaveLength(1);
    expect((await page('/api/v1/reviews?limit=100')).data).toHaveLength(100);
    const last = await page(`/api/v1/reviews?limit=100&cursor=${Buffer.from(`v1:${created[3]}`).toString('base64url')}`);
    expect(last.data.map((review) => review.id)).toEqual(created.slice(0, 3).reverse());
    expect(last).toMatchObject({ has_more: false, next_cursor: null });
  });
});

describe('every list paginates', () => {
  for (const endpoint of ENDPOINTS.filter((e) => e.list)) {
    it(`${endpoint.name}: limit=1 pages match the full list`, async () => {
      const base = endpoint.url(small);
      const full = await t.app.inject({ url: `${base}?limit=100`, headers: small.headers });
      const walked: string[] = [];
      let cursor: string | null = null;
      do {
        const response: LightMyRequestResponse = await t.app.inject({ url: `${base}?limit=1${cursor ? `&cursor=${cursor}` : ''}`, headers: small.headers });
        expect(response.statusCode).toBe(200);
        walked.push(...ids(response));
        cursor = response.json<{ next_cursor: string | null }>().next_cursor;
      } while (cursor);
      expect(walked).toEqual(ids(full));
      expect(walked.length).toBeGreaterThan(1);
    });
  }
});

describe('cursor errors', () => {
  const reviewCursor = () => Buffer.from(`v1:${created[10]}`).toString('base64url');
  const cases: [string, () => string][] = [
    ['not base64url', () => 'not*a*cursor'],
    ['base64url of nonsense', () => Buffer.from('hello world').toString('base64url')],
    ['another version', () => Buffer.from(`v2:${created[10]}`).toString('base64url')],
    ['a cursor of another list', () => Buffer.from(`v1:${seed.locations[0]}`).toString('base64url')],
    ['a truncated cursor', () => reviewCursor().slice(0, -4)],
  ];
  for (const [name, cursor] of cases) {
    it(`${name} → 400 invalid_cursor`, async () => {
      const response = await t.app.inject({ url: `/api/v1/reviews?cursor=${encodeURIComponent(cursor())}`, headers });
      const problem = expectProblem(response, 400, 'invalid_cursor');
      expect(problem.errors).toEqual([{ path: 'query.cursor', message: 'is not a valid cursor' }]);
    });
  }

  it('a cursor of reviews is accepted by reviews only', async () => {
    expect((await t.app.inject({ url: `/api/v1/reviews?cursor=${reviewCursor()}`, headers })).statusCode).toBe(200);
    expectProblem(await t.app.inject({ url: `/api/v1/leads?cursor=${reviewCursor()}`, headers }), 400, 'invalid_cursor');
  });
});

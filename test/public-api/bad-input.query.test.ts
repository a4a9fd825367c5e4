import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createManualClock } from '../../src/lib/clock.ts';
import { ENDPOINTS, call, seedAgency, type Seeded } from './support.ts';
import { expectProblem } from '../support/problem.ts';

/* Every kind of bad query string and path on every endpoint: 400s that name the field, 404s for ids. */
const clock = createManualClock(new Date());
let t: TestApp;
let seed: Seeded;

beforeAll(async () => {
  t = await createTestApp({ clock });
  seed = await seedAgency(t.app, () => clock.advance(60_000));
});

afterAll(async () => t?.close());

const withQuery = (url: string, query: string) => `${url}${url.includes('?') ? '&' : '?'}${query}`;

describe.each(ENDPOINTS)('$name', (endpoint) => {
  it('an unknown query parameter is a 400 naming it', async () => {
    const response = await call(t.app, endpoint, seed, seed.headers, { url: withQuery(endpoint.url(seed), 'colour=blue') });
    const problem = expectProblem(response, 400, 'validation_failed');
    expect(problem.errors).toEqual([{ path: 'query.colour', message: 'is not a known field' }]);
  });

  if (endpoint.byId) {
    const { prefix, url } = endpoint.byId;
    const malformed = [
      'nope',
      `${prefix}_`,
      `${prefix}_0000000000000000000000000`,
      `${prefix}_01JD5M0D9D6V3FW8P3N4Q7R2S1`,
      `${prefix === 'rev' ? 'loc' : 'rev'}_01jd5m0d9d6v3fw8p3n4q7r2s1`,
      `${prefix}_01jd5m0d9d6v3fw8p3n4q7r2s1'--`,
      'x'.repeat(90),
      '%F0%9F%92%A5',
    ];
    it('malformed ids answer the same 404 as a missing id', async () => {
      for (const id of malformed) {
        const response = await call(t.app, endpoint, seed, seed.headers, { url: url(id) });
        expectProblem(response, 404, 'not_found');
      }
    });
  }

  if (endpoint.list) {
    it('limit outside 1–100 or not an integer is a 400', async () => {
      for (const limit of ['0', '101', '-1', 'ten', '2.5', '', '1e3']) {
        const response = await call(t.app, endpoint, seed, seed.headers, { url: withQuery(endpoint.url(seed), `limit=${limit}`) });
        const problem = expectProblem(response, 400, 'validation_failed');
        expect(JSON.stringify(problem.errors)).toContain('query.limit');
      }
    });

    it('a repeated parameter is a 400, not a silent pick', async () => {
      const response = await call(t.app, endpoint, seed, seed.headers, { url: withQuery(endpoint.url(seed), 'limit=1&limit=2') });
      expectProblem(response, 400, 'validation_failed');
    });

    it('a bad cursor is a 400 invalid_cursor', async () => {
      const response = await call(t.app, endpoint, seed, seed.headers, { url: withQuery(endpoint.url(seed), 'cursor=bm90LWEtY3Vyc29y') });
      expectProblem(response, 400, 'invalid_cursor');
    });
  }
});

/** Bad values of each list's own filters. */
const BAD_FILTERS: Record<string, string[]> = {
  'list conversations': [
    'location_id=north',
    'location_id=conv_01jd5m0d9d6v3fw8p3n4q7r2s1',
    'status=pending',
    'channel=fax',
    'updated_since=yesterday',
    'updated_since=2026-01-01',
    'updated_since=2026-13-01T00:00:00Z',
    'updated_since=1767225600',
  ],
  'list conversation messages': ['direction=sideways', 'created_since=2026-02-30T00:00:00', 'conversation_id=conv_01jd5m0d9d6v3fw8p3n4q7r2s1'],
  'list messages': ['conversation_id=c1', 'direction=in', 'created_since=now'],
  'list reviews': ['location_id=loc_123', 'source=tripadvisor', 'rating=0', 'rating=6', 'rating=five', 'rating=4.5', 'created_since=01/02/2026'],
  'list leads': ['location_id=', 'status=won', 'updated_since=2026-01-01T25:00:00Z'],
};

describe('bad filter values are 400s that name the parameter', () => {
  for (const [name, cases] of Object.entries(BAD_FILTERS)) {
    const endpoint = ENDPOINTS.find((e) => e.name === name)!;
    it(name, async () => {
      for (const query of cases) {
        const response = await call(t.app, endpoint, seed, seed.headers, { url: withQuery(endpoint.url(seed), query) });
        const problem = expectProblem(response, 400, 'validation_failed');
        const parameter = query.split('=')[0]!;
        expect(JSON.stringify(problem.errors), query).toContain(`query.${parameter}`);
      }
    });
  }

  it('every list endpoint with filters is covered', () => {
    const withFilters = ENDPOINTS.filter((e) => e.list && e.name !== 'list locations').map((e) => e.name);
    expect(Object.keys(BAD_FILTERS).sort()).toEqual(withFilters.sort());
  });
});

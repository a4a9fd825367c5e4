import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createManualClock } from '../../src/lib/clock.ts';
import { LEAD_BODY_LIMIT_BYTES } from '../../src/http/body-limits.ts';
import { ENDPOINTS, call, seedAgency, type Seeded } from './support.ts';
import { expectProblem } from '../support/problem.ts';

/* Every kind of bad request body on every endpoint that takes one, and nothing is written. */
const clock = createManualClock(new Date());
let t: TestApp;
let seed: Seeded;

beforeAll(async () => {
  t = await createTestApp({ clock });
  seed = await seedAgency(t.app, () => clock.advance(60_000));
});

afterAll(async () => t?.close());

async function snapshot() {
  return (await t.ctx.services.leads.list(seed.agency.id, {}, { limit: 100 })).data;
}

const json = { 'content-type': 'application/json' };

describe.each(ENDPOINTS.filter((endpoint) => endpoint.body))('$name', (endpoint) => {
  const send = (payload: string | Buffer, headers: Record<string, string> = json) =>
    call(t.app, endpoint, seed, { ...seed.headers, ...headers }, { payload });
  const valid = () => endpoint.body!(seed);

  it('malformed JSON → 400 malformed_json', async () => {
    const before = await snapshot();
    for (const payload of ['{"name":', '{name: "x"}', "{'a': 1}", '{"a":1}}', 'undefined']) {
      expectProblem(await send(payload), 400, 'malformed_json');
    }
    expectProblem(await send(''), 400, 'malformed_json');
    expect(await snapshot()).toEqual(before);
  });

  it('a body that is not an object → 400', async () => {
    for (const payload of ['[]', '"lead"', '42', 'null', 'true']) {
      expectProblem(await send(payload), 400, 'validation_failed');
    }
  });

  it('wrong types are not coerced → 400 naming the field', async () => {
    const before = await snapshot();
    const cases: [Record<string, unknown>, string][] =
      endpoint.method === 'POST'
        ? [
            [{ ...valid(), name: 123 }, 'body.name'],
            [{ ...valid(), value: '250' }, 'body.value'],
            [{ ...valid(), email: 'not-an-email' }, 'body.email'],
            [{ ...valid(), status: 'won' }, 'body.status'],
            [{ ...valid(), value: -1 }, 'body.value'],
            [{ ...valid(), value: 1.001 }, 'body.value'],
            [{ ...valid(), name: '' }, 'body.name'],
            [{ ...valid(), location_id: ['loc'] }, 'body.location_id'],
          ]
        : [
            [{ status: 'won' }, 'body.status'],
            [{ value: '250' }, 'body.value'],
            [{ notes: 42 }, 'body.notes'],
            [{ notes: 'x'.repeat(10_001) }, 'body.notes'],
            [{ value: true }, 'body.value'],
          ];
    for (const [payload, path] of cases) {
      const problem = expectProblem(await send(JSON.stringify(payload)), 400, 'validation_failed');
      expect(JSON.stringify(problem.errors), JSON.stringify(payload)).toContain(path);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('unknown fields → 400 naming them', async () => {
    const problem = expectProblem(await send(JSON.stringify({ ...valid(), owner: 'me' })), 400, 'validation_failed');
    expect(problem.errors).toEqual([{ path: 'body.owner', message: 'is not a known field' }]);
  });

  it('missing or empty required content → 400', async () => {
    if (endpoint.method === 'POST') {
      const problem = expectProblem(await send(JSON.stringify({ location_id: seed.locations[0] })), 400, 'validation_failed');
      expect(problem.errors).toEqual([{ path: 'body.name', message: 'is required' }]);
    } else {
      expectProblem(await send('{}'), 400, 'validation_failed');
    }
  });

  it('a body over the largest limit (128 KiB) → 413 payload_too_large', async () => {
    const before = await snapshot();
    const big = JSON.stringify({ ...valid(), notes: 'x'.repeat(LEAD_BODY_LIMIT_BYTES) });
    expectProblem(await send(big), 413, 'payload_too_large');
    expect(await snapshot()).toEqual(before);
  });

  it('a body that is not application/json → 415 unsupported_media_type', async () => {
    const before = await snapshot();
    const text = JSON.stringify(valid());
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
      expectProblem(await send(text, { 'content-type': type }), 415, 'unsupported_media_type');
    }
    expect(await snapshot()).toEqual(before);
  });

  it('application/json with a charset is fine', async () => {
    const response = await send(JSON.stringify(valid()), { 'content-type': 'application/json; charset=utf-8' });
    expect(response.statusCode, response.body).toBe(endpoint.status);
  });
});

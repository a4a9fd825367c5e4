import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { login, type PortalLogin } from '../support/fixtures.ts';
import { createManualClock } from '../../src/lib/clock.ts';
import { newId, type IdPrefix } from '../../src/lib/ids.ts';
import { ENDPOINTS, call, ids, seedAgency, stableProblem, type Seeded } from './support.ts';
import { expectProblem } from '../support/problem.ts';

/*
 * Agency B, with a key holding every scope or with its owner's portal session, aims at each of
 * agency A's resources. Every answer must be the 404 a missing id gets, byte for byte apart from
 * request id and path, and no list may ever show one of A's rows.
 */
const clock = createManualClock(new Date());
let t: TestApp;
let a: Seeded;
let b: Seeded;
let bSession: PortalLogin;

beforeAll(async () => {
  t = await createTestApp({ clock });
  a = await seedAgency(t.app, () => clock.advance(60_000));
  b = await seedAgency(t.app, () => clock.advance(60_000));
  bSession = await login(t.app, b.agency.email, b.agency.password);
});

afterAll(async () => t?.close());

const callers = () => [
  ['API key', b.headers],
  ['portal session', bSession.headers],
] as const;

/** Every one of A's ids that an endpoint of this prefix could be aimed at. */
function idsOfA(prefix: string): string[] {
  switch (prefix) {
    case 'loc':
      return a.locations;
    case 'conv':
      return a.conversations.all;
    case 'msg':
      return a.messages.all;
    case 'rev':
      return a.reviews;
    default:
      return a.leads;
  }
}

describe.each(ENDPOINTS.filter((endpoint) => endpoint.byId))('$name', (endpoint) => {
  const { prefix, url } = endpoint.byId!;

  it("another agency's ids answer exactly as a missing id and a malformed id do", async () => {
    const request = (target: string, headers: Record<string, string>) => call(t.app, endpoint, b, headers, { url: url(target) });
    for (const [, headers] of callers()) {
      const missing = await request(newId(prefix as IdPrefix), headers);
      const malformed = await request('not-an-id', headers);
      expectProblem(missing, 404, 'not_found');
      expect(stableProblem(malformed)).toEqual(stableProblem(missing));
      for (const foreign of idsOfA(prefix)) {
        const response = await request(foreign, headers);
        expect(response.statusCode).toBe(404);
        expect(stableProblem(response)).toEqual(stableProblem(missing));
        // Only `instance` (the path the caller sent) may mention the id.
        expect(JSON.stringify(stableProblem(response))).not.toContain(foreign);
      }
    }
  });

  it('the owner still gets their own resource', async () => {
    const own = await call(t.app, endpoint, a, a.headers);
    expect(own.statusCode, own.body).toBe(endpoint.status);
  });
});

describe('lists never show another agency’s rows', () => {
  const everythingOfA = () => new Set([...a.locations, ...a.conversations.all, ...a.messages.all, ...a.reviews, ...a.leads]);

  for (const endpoint of ENDPOINTS.filter((e) => e.list && !e.byId)) {
    it(endpoint.name, async () => {
      for (const [, headers] of callers()) {
        const response = await t.app.inject({ url: `${endpoint.url(b)}?limit=100`, headers });
        expect(response.statusCode).toBe(200);
        const listed = ids(response);
        expect(listed.length).toBeGreaterThan(0);
        expect(listed.filter((id) => everythingOfA().has(id))).toEqual([]);
      }
    });
  }
});

describe('writes across agencies', () => {
  it("PATCH of another agency's lead is a 404 and changes nothing", async () => {
    const target = a.leads[0]!;
    const before = await t.ctx.services.leads.get(a.agency.id, target);
    const response = await t.app.inject({ method: 'PATCH', url: `/api/v1/leads/${target}`, headers: b.headers, payload: { status: 'converted', notes: 'mine now' } });
    expectProblem(response, 404, 'not_found');
    expect(await t.ctx.services.leads.get(a.agency.id, target)).toEqual(before);
  });

  it("POST of a lead on another agency's location is refused like an unknown location", async () => {
    const foreign = await t.app.inject({ method: 'POST', url: '/api/v1/leads', headers: b.headers, payload: { location_id: a.locations[0], name: 'Sneaky' } });
    const missing = await t.app.inject({ method: 'POST', url: '/api/v1/leads', headers: b.headers, payload: { location_id: newId('loc'), name: 'Sneaky' } });
    expectProblem(foreign, 400, 'validation_failed');
    expect(stableProblem(foreign)).toEqual(stableProblem(missing));
    const leadsOfA = await t.ctx.services.leads.list(a.agency.id, {}, { limit: 100 });
    expect(leadsOfA.data.map((lead) => lead.name)).not.toContain('Sneaky');
  });

  it('Idempotency-Keys are per agency: the same key in two agencies makes two leads', async () => {
    const key = 'shared-key-0001';
    const first = await t.app.inject({ method: 'POST', url: '/api/v1/leads', headers: { ...a.headers, 'idempotency-key': key }, payload: { location_id: a.locations[0], name: 'Same' } });
    const second = await t.app.inject({ method: 'POST', url: '/api/v1/leads', headers: { ...b.headers, 'idempotency-key': key }, payload: { location_id: b.locations[0], name: 'Same' } });
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.json<{ id: string }>().id).not.toBe(first.json<{ id: string }>().id);
  });
});

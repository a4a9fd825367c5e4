import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { adminHeaders, createApiKey, login } from '../support/fixtures.ts';
import { createManualClock } from '../../src/lib/clock.ts';
import { SCOPES } from '../../src/domains/api/auth-context.ts';
import { ENDPOINTS, call, expectProblem, seedAgency, type Seeded } from './support.ts';

const clock = createManualClock(new Date());
let t: TestApp;
let seed: Seeded;

beforeAll(async () => {
  t = await createTestApp({ clock });
  seed = await seedAgency(t.app, () => clock.advance(60_000));
});

afterAll(async () => t?.close());

describe.each(ENDPOINTS)('$name needs $scope', (endpoint) => {
  it('a key with every other scope gets 403 insufficient_scope naming it, and nothing happens', async () => {
    const { headers } = await createApiKey(t.app, seed.agency.id, SCOPES.filter((scope) => scope !== endpoint.scope));
    const leadsBefore = await t.ctx.services.leads.list(seed.agency.id, {}, { limit: 100 });
    const response = await call(t.app, endpoint, seed, headers);
    const problem = expectProblem(response, 403, 'insufficient_scope');
    expect(problem.required_scope).toBe(endpoint.scope);
    expect(problem.detail).toContain(endpoint.scope);
    expect(await t.ctx.services.leads.list(seed.agency.id, {}, { limit: 100 })).toEqual(leadsBefore);
  });

  it('a key with only that scope succeeds', async () => {
    const { headers } = await createApiKey(t.app, seed.agency.id, [endpoint.scope]);
    const response = await call(t.app, endpoint, seed, headers);
    expect(response.statusCode, response.body).toBe(endpoint.status);
  });

  it('no credentials at all is a 401', async () => {
    expectProblem(await call(t.app, endpoint, seed, {}), 401, 'missing_credentials');
  });
});

describe('portal sessions', () => {
  it('a member reads but cannot write', async () => {
    const member = { email: `member-${Date.now()}@agency.test`, password: 'member-password-1' };
    const added = await t.app.inject({
      method: 'POST',
      url: `/admin/v1/agencies/${seed.agency.id}/users`,
      headers: adminHeaders,
      payload: { ...member, name: 'Mem', role: 'member' },
    });
    expect(added.statusCode, added.body).toBe(201);
    const session = await login(t.app, member.email, member.password);
    for (const endpoint of ENDPOINTS) {
      const response = await call(t.app, endpoint, seed, session.headers);
      if (endpoint.scope === 'leads:write') expectProblem(response, 403, 'insufficient_scope');
      else expect(response.statusCode, `${endpoint.name}: ${response.body}`).toBe(endpoint.status);
    }
  });

  it('an owner can do everything, and writes need the CSRF token', async () => {
    const session = await login(t.app, seed.agency.email, seed.agency.password);
    for (const endpoint of ENDPOINTS) {
      const response = await call(t.app, endpoint, seed, session.headers);
      expect(response.statusCode, `${endpoint.name}: ${response.body}`).toBe(endpoint.status);
      if (endpoint.method !== 'GET') {
        expectProblem(await call(t.app, endpoint, seed, { cookie: session.cookie }), 403, 'csrf_failed');
      }
    }
  });
});

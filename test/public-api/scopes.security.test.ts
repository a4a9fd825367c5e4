import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { adminHeaders, login } from '../support/fixtures.ts';
import { createApiKey } from '../support/api-keys.ts';
import { createManualClock } from '../../src/lib/clock.ts';
import { SCOPES } from '../../src/domains/api/auth-context.ts';
import { ENDPOINTS, call, seedAgency, type Seeded } from './support.ts';
import { expectProblem } from '../support/problem.ts';

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
    const { headers } = await createApiKey(t.app, seed.agency.id, { scopes: SCOPES.filter((scope) => scope !== endpoint.scope) });
    const leadsBefore = await t.ctx.services.leads.list(seed.agency.id, {}, { limit: 100 });
    const response = await call(t.app, endpoint, seed, headers);
    const problem = expectProblem(response, 403, 'insufficient_scope');
    expect(problem.required_scope).toBe(endpoint.scope);
    expect(problem.detail).toBe(`This API key lacks the ${endpoint.scope} scope; generate a key with that scope (rotating keeps a key's scopes).`);
    expect(await t.ctx.services.leads.list(seed.agency.id, {}, { limit: 100 })).toEqual(leadsBefore);
  });

  it('a key with only that scope succeeds', async () => {
    const { headers } = await createApiKey(t.app, seed.agency.id, { scopes: [endpoint.scope] });
    const response = await call(t.app, endpoint, seed, headers);
    expect(response.statusCode, response.body).toBe(endpoint.status);
  });

  it('no credentials at all is a 401', async () => {
    expectProblem(await call(t.app, endpoint, seed, {}), 401, 'missing_credentials');
  });
});

describe('every documented /api/v1 operation (webhooks and events included)', () => {
  it('refuses a key lacking the scope the spec names, before reading path or body', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json<{
      paths: Record<string, Record<string, { 'x-faro-scope': string }>>;
    }>();
    const keys = new Map<string, Record<string, string>>();
    let checked = 0;
    for (const [path, operations] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const scope = operation['x-faro-scope'];
        if (!keys.has(scope)) keys.set(scope, (await createApiKey(t.app, seed.agency.id, { scopes: SCOPES.filter((other) => other !== scope) })).headers);
        // Any id will do: the scope is checked before the route looks at its parameters.
        const url = path.replace(/\{[^}]+\}/g, 'whsub_00000000000000000000000000');
        const response = await t.app.inject({ method: method.toUpperCase() as 'GET', url, headers: keys.get(scope)! });
        const where = `${method.toUpperCase()} ${path}`;
        expect(response.statusCode, `${where}: ${response.body}`).toBe(403);
        expect(response.json<{ required_scope: string }>().required_scope, where).toBe(scope);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(ENDPOINTS.length + 10);
    expect((await t.ctx.db.selectFrom('webhook_subscriptions').select('id').execute()).length).toBe(0);
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

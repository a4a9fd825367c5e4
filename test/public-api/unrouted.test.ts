import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { expectProblem } from '../support/problem.ts';
import { createAgency } from '../support/fixtures.ts';
import { createApiKey } from '../support/api-keys.ts';
import { SCOPES } from '../../src/domains/api/auth-context.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
let t: TestApp;
let spec: Json;

beforeAll(async () => {
  t = await createTestApp();
  spec = (await t.app.inject({ url: '/api/v1/openapi.json' })).json();
});
afterAll(async () => t?.close());

/**
 * Every documented path with a sample value for each parameter, and the methods the spec gives
 * every path template that URL matches (`/webhooks/event-types` is also a `/webhooks/{id}`).
 */
function documentedPaths(): { url: string; methods: string[] }[] {
  const templates = Object.entries(spec.paths as Json).map(([path, item]) => ({
    url: path.replace(/\{[^}]+\}/g, 'x_01jd5m0d9d6v3fw8p3n4q7r2s1'),
    pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    methods: Object.keys(item as Json).map((method) => method.toUpperCase()),
  }));
  return templates.map(({ url }) => ({
    url,
    methods: [...new Set(templates.filter(({ pattern }) => pattern.test(url)).flatMap(({ methods }) => methods))],
  }));
}

describe('requests no route takes', () => {
  it('a known path with another method → 405 with Allow naming exactly the documented methods (HEAD with GET)', async () => {
    let checked = 0;
    for (const { url, methods } of documentedPaths()) {
      const allow = methods.includes('GET') ? [...methods, 'HEAD'] : methods;
      for (const method of METHODS.filter((m) => !methods.includes(m))) {
        const response = await t.app.inject({ method, url, headers: { authorization: 'Bearer faro_live_whatever' } });
        const problem = expectProblem(response, 405, 'method_not_allowed');
        expect(String(response.headers.allow).split(', ').sort(), `${method} ${url}`).toEqual([...allow].sort());
        expect(problem.detail).toContain(method);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('a CORS preflight is refused with a problem that says why, and no Access-Control-* header', async () => {
    const response = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/reviews',
      headers: { origin: 'https://crm.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    const problem = expectProblem(response, 405, 'method_not_allowed');
    expect(problem.detail).toMatch(/CORS/);
    expect(response.headers.allow).toBe('GET, HEAD');
    expect(Object.keys(response.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });

  it('an unknown path that is clearly an API call gets the JSON 404, never the portal page', async () => {
    for (const headers of [{ authorization: 'Bearer faro_live_whatever' }, { accept: 'application/json' }]) {
      for (const url of ['/reviews', '/settings/api', '/api/v1/nope', '/v1/locations']) {
        expectProblem(await t.app.inject({ url, headers }), 404, 'route_not_found');
      }
    }
    expectProblem(await t.app.inject({ method: 'OPTIONS', url: '/api/v1/nope' }), 404, 'route_not_found');
  });
});

describe('one query-string rule for every operation', () => {
  it('the webhook writes refuse an unknown query parameter like every GET does (400 naming it), and change nothing', async () => {
    const agency = await createAgency(t.app, { tier: 'scale' });
    const { headers } = await createApiKey(t.app, agency.id, { scopes: [...SCOPES] });
    const sub = 'whsub_01jd5m0d9d6v3fw8p3n4q7r2s1';
    const writes: [string, string, object | undefined][] = [
      ['POST', '/api/v1/webhooks', { url: 'https://hooks.example.com/q', events: ['*'] }],
      ['PATCH', `/api/v1/webhooks/${sub}`, { description: 'changed' }],
      ['DELETE', `/api/v1/webhooks/${sub}`, undefined],
      ['POST', `/api/v1/webhooks/${sub}/rotate-secret`, undefined],
      ['POST', `/api/v1/webhooks/${sub}/test`, {}],
      ['POST', `/api/v1/webhooks/${sub}/recover`, { since: new Date(Date.now() - 60_000).toISOString() }],
      ['POST', '/api/v1/webhook-deliveries/whdel_01jd5m0d9d6v3fw8p3n4q7r2s1/retry', undefined],
    ];
    for (const [method, url, payload] of writes) {
      const response = await t.app.inject({ method: method as 'POST', url: `${url}?colour=blue`, headers, ...(payload ? { payload } : {}) });
      const problem = expectProblem(response, 400, 'validation_failed');
      expect(problem.errors, `${method} ${url}`).toEqual([{ path: 'query.colour', message: 'is not a known field' }]);
    }
    const subscriptions = await t.ctx.db.selectFrom('webhook_subscriptions').select('id').where('agency_id', '=', agency.id).execute();
    expect(subscriptions).toEqual([]);
  });
});

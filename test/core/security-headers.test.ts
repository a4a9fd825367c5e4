import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createTestApp, type TestApp } from '../support/app.ts';
import { adminHeaders, createAgency, login, type PortalLogin, type TestAgency } from '../support/fixtures.ts';
import { createApiKey } from '../support/api-keys.ts';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { SCOPES } from '../../src/domains/api/auth-context.ts';
import { SWAGGER_LOGO_STYLE } from '../../src/http/security-headers.ts';

/* Browser-facing headers on every kind of answer, and no-store on the answers that carry a secret. */

function directives(response: LightMyRequestResponse): Map<string, string[]> {
  const header = response.headers['content-security-policy'];
  expect(typeof header, `CSP on ${response.raw.req.url}`).toBe('string');
  const parsed = new Map<string, string[]>();
  for (const part of String(header).split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) parsed.set(name, values);
  }
  return parsed;
}

const PORTAL_POLICY = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
  'img-src': ["'self'"],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};
// The hash is of Swagger UI's logo <style> (SWAGGER_LOGO_STYLE), the one inline style /docs renders.
const DOCS_POLICY = {
  ...PORTAL_POLICY,
  'style-src': ["'self'", "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'", 'https://api.faro.app'],
};

function expectBrowserHeaders(response: LightMyRequestResponse): void {
  const what = `${response.raw.req.method} ${response.raw.req.url} (${response.statusCode})`;
  expect(response.headers['x-frame-options'], what).toBe('DENY');
  expect(response.headers['x-content-type-options'], what).toBe('nosniff');
  expect(response.headers['referrer-policy'], what).toBe('same-origin');
  const csp = String(response.headers['content-security-policy']);
  expect(csp, what).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  expect(directives(response).get('frame-ancestors'), what).toEqual(["'none'"]);
}

describe('published over plain http', () => {
  let t: TestApp;
  let agency: TestAgency;
  let session: PortalLogin;
  let keyHeaders: Record<string, string>;
  beforeAll(async () => {
    t = await createTestApp();
    agency = await createAgency(t.app);
    session = await login(t.app, agency.email, agency.password);
    keyHeaders = (await createApiKey(t.app, agency.id, { scopes: SCOPES })).headers;
  });
  afterAll(async () => t?.close());

  it('portal paths, JSON answers, errors and 404s carry the portal policy, no framing, nosniff and Referrer-Policy; no HSTS', async () => {
    const requests: InjectOptions[] = [
      { method: 'GET', url: '/' },
      { method: 'GET', url: '/settings/api' },
      { method: 'GET', url: '/assets/missing.js' },
      { method: 'GET', url: '/healthz' },
      { method: 'GET', url: '/api/v1/locations' },
      { method: 'GET', url: '/api/v1/locations', headers: keyHeaders },
      { method: 'GET', url: '/portal/api/me', headers: session.headers },
      { method: 'POST', url: '/portal/api/session', payload: { email: agency.email, password: 'wrong-password' } },
      { method: 'GET', url: '/admin/v1/agencies/nope', headers: adminHeaders },
      { method: 'DELETE', url: '/no/such/route' },
    ];
    for (const request of requests) {
      const response = await t.app.inject(request);
      expect(response.statusCode).toBeLessThan(500);
      expectBrowserHeaders(response);
      expect(Object.fromEntries(directives(response)), request.url as string).toEqual(PORTAL_POLICY);
      expect(response.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('/docs, its assets and its spec carry the docs policy: data: images and the spec servers for "Try it out"', async () => {
    for (const url of ['/docs', '/docs/', '/docs/static/swagger-ui-bundle.js', '/docs/static/swagger-initializer.js', '/docs/json']) {
      const response = await t.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expectBrowserHeaders(response);
      // "Try it out" may call this instance at its published base URL, or production.
      const connect = ["'self'", new URL(t.ctx.config.publicBaseUrl).origin, 'https://api.faro.app'];
      expect(Object.fromEntries(directives(response)), url).toEqual({ ...DOCS_POLICY, 'connect-src': connect });
    }
  });

  it('the inline style /docs allows is exactly the one the installed Swagger UI renders', () => {
    const preset = createRequire(import.meta.url).resolve('@fastify/swagger-ui/static/swagger-ui-standalone-preset.js');
    expect(fs.readFileSync(preset, 'utf8')).toContain(`createElement("style",null,"${SWAGGER_LOGO_STYLE}")`);
  });

  it('answers that carry a secret are Cache-Control: no-store; others are not', async () => {
    const keyBody = { name: 'cache test', scopes: ['locations:read'] };
    const created = await t.app.inject({ method: 'POST', url: '/portal/api/api-keys', headers: session.headers, payload: keyBody });
    const keyId = created.json<{ id: string }>().id;
    const subscription = await t.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks',
      headers: keyHeaders,
      payload: { url: 'https://93.184.215.14/faro', events: ['review.created'] },
    });
    const subId = subscription.json<{ id: string }>().id;

    const secret: [string, LightMyRequestResponse][] = [
      ['login', await t.app.inject({ method: 'POST', url: '/portal/api/session', payload: { email: agency.email, password: agency.password } })],
      ['who am I (CSRF token)', await t.app.inject({ method: 'GET', url: '/portal/api/me', headers: session.headers })],
      ['portal key create', created],
      ['portal key rotate', await t.app.inject({ method: 'POST', url: `/portal/api/api-keys/${keyId}/rotate`, headers: session.headers, payload: {} })],
      ['admin key create', await t.app.inject({ method: 'POST', url: `/admin/v1/agencies/${agency.id}/api-keys`, headers: adminHeaders, payload: keyBody })],
      ['webhook create', subscription],
      ['webhook secret reveal', await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${subId}/secret`, headers: keyHeaders })],
      ['webhook secret rotate', await t.app.inject({ method: 'POST', url: `/api/v1/webhooks/${subId}/rotate-secret`, headers: keyHeaders })],
    ];
    for (const [name, response] of secret) {
      expect(response.statusCode, `${name}: ${response.body}`).toBeLessThan(300);
      expect(response.body, name).toMatch(/"(key|secret|csrf_token)":"/);
      expect(response.headers['cache-control'], name).toBe('no-store');
    }

    const plain: [string, LightMyRequestResponse][] = [
      ['key list', await t.app.inject({ method: 'GET', url: '/portal/api/api-keys', headers: session.headers })],
      ['webhook get', await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${subId}`, headers: keyHeaders })],
      ['locations', await t.app.inject({ method: 'GET', url: '/api/v1/locations', headers: keyHeaders })],
    ];
    for (const [name, response] of plain) {
      expect(response.statusCode, name).toBe(200);
      expect(response.headers['cache-control'] ?? '', name).not.toContain('no-store');
    }
  });
});

describe('published over https (PUBLIC_BASE_URL https://…)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { PUBLIC_BASE_URL: 'https://integrations.example.com' } });
  });
  afterAll(async () => t?.close());

  it('adds HSTS and upgrade-insecure-requests to the portal, the API and /docs', async () => {
    for (const url of ['/', '/settings/api', '/healthz', '/api/v1/locations', '/docs', '/docs/static/swagger-ui.css']) {
      const response = await t.app.inject({ method: 'GET', url });
      expectBrowserHeaders(response);
      expect(response.headers['strict-transport-security'], url).toBe('max-age=31536000; includeSubDomains');
      expect(directives(response).get('upgrade-insecure-requests'), url).toEqual([]);
    }
  });
});

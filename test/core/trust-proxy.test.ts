import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createAgency } from '../support/fixtures.ts';
import { expectProblem } from '../support/problem.ts';

// Behind one load balancer (FARO_TRUST_PROXY=1) the client address is the entry the balancer
// appended to X-Forwarded-For; whatever the client wrote before it must not count.
describe('FARO_TRUST_PROXY as a hop count', { timeout: 120_000 }, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ config: { trustProxy: 1 } });
  });
  afterAll(async () => t?.close());

  const attempt = (i: number, headers: Record<string, string>) =>
    t.app.inject({
      method: 'POST',
      url: '/portal/api/session',
      headers,
      payload: { email: `victim-${i % 40}@agency.test`, password: 'wrong-password' },
    });

  it('throttles by the address the balancer saw, so a forged X-Forwarded-For does not reset the count', async () => {
    // Concurrent, so the 50 password checks share the thread pool instead of queueing one by one.
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => attempt(i, { 'x-forwarded-for': `10.9.${i}.1, 203.0.113.9` })));
    for (const response of responses) expectProblem(response, 401, 'invalid_credentials');
    expectProblem(await attempt(50, { 'x-forwarded-for': '10.9.200.1, 203.0.113.9' }), 429, 'login_throttled');
    // Another client behind the same balancer is not affected.
    expectProblem(await attempt(51, { 'x-forwarded-for': '198.51.100.7' }), 401, 'invalid_credentials');
  }, 90_000);

  it('believes the balancer about https, so the session cookie is Secure', async () => {
    const agency = await createAgency(t.app);
    const response = await t.app.inject({
      method: 'POST',
      url: '/portal/api/session',
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.8' },
      payload: { email: agency.email, password: agency.password },
    });
    expect(response.statusCode).toBe(200);
    expect(response.cookies.find((cookie) => cookie.name === 'faro_session')?.secure).toBe(true);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, testConfig, type TestApp } from '../support/app.ts';
import { createAgency } from '../support/fixtures.ts';
import { createApiKey, PROBE } from '../support/api-keys.ts';
import { startOwnRedis } from '../support/redis-server.ts';
import { until } from '../support/eventually.ts';
import { ConfigError } from '../../src/config.ts';
import { METRICS_ENV, scraperOf, valueOf, type Scraper } from './scrape.ts';

const REQUESTS = 'faro_http_requests_total';
const DURATION_COUNT = 'faro_http_request_duration_seconds_count';

describe('metrics: off by default, never on the public port', () => {
  it('is off unless FARO_METRICS_PORT is set, and the public app answers /metrics with the JSON 404', async () => {
    const off = await createTestApp({ listen: true });
    const on = await createTestApp({ listen: true, env: METRICS_ENV });
    try {
      expect(off.ctx.config.metrics).toBeUndefined();
      expect(off.ctx.metrics).toBeUndefined();
      expect(on.ctx.metrics).toBeDefined();
      for (const t of [off, on]) {
        const response = await fetch(`${t.url}/metrics`, { headers: { accept: 'application/json' } });
        expect(response.status).toBe(404);
        expect(response.headers.get('content-type')).toContain('application/problem+json');
        expect(await response.json()).toMatchObject({ status: 404, type: expect.stringContaining('route-not-found') });
      }
    } finally {
      await off.close();
      await on.close();
    }
  }, 120_000);

  it('refuses the public port as the metrics port, and binds where the app does unless told otherwise', () => {
    const base = { FARO_ADMIN_TOKEN: 'x'.repeat(24) };
    expect(() => testConfig({}, { ...base, PORT: '9100', FARO_METRICS_PORT: '9100' })).toThrow(ConfigError);
    expect(testConfig({}, { ...base, PORT: '3000', HOST: '0.0.0.0', FARO_METRICS_PORT: '9100' }).metrics).toEqual({ port: 9100, host: '0.0.0.0' });
    expect(testConfig({}, { ...base, PORT: '3000', FARO_METRICS_PORT: '9100', FARO_METRICS_HOST: '10.0.0.5' }).metrics).toEqual({ port: 9100, host: '10.0.0.5' });
    expect(() => testConfig({}, { FARO_METRICS_PORT: 'nine' })).toThrow(/FARO_METRICS_PORT/);
  });
});

describe('metrics: HTTP requests and rate-limit decisions', () => {
  let t: TestApp;
  let metrics: Scraper;

  beforeAll(async () => {
    t = await createTestApp({ listen: true, env: METRICS_ENV });
    metrics = await scraperOf(t);
  });
  afterAll(async () => {
    await metrics?.close();
    await t?.close();
  });

  it('serves the Prometheus text format on its own listener, default process metrics included', async () => {
    const response = await fetch(metrics.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain('# TYPE faro_http_requests_total counter');
    expect(text).toContain('# TYPE faro_http_request_duration_seconds histogram');
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect((await fetch(metrics.url.replace('/metrics', '/other'))).status).toBe(404);
    expect((await fetch(metrics.url, { method: 'POST' })).status).toBe(405);
  });

  it('counts and times real requests by route template, and unrouted ones under a fixed label', async () => {
    const agency = await createAgency(t.app);
    const key = await createApiKey(t.app, agency.id);
    const before = await metrics.scrape();
    const ok = { method: 'GET', route: '/api/v1/locations', status: '200' };
    const byId = { method: 'GET', route: '/api/v1/locations/:id', status: '404' };
    const unrouted = { method: 'GET', route: 'unrouted', status: '404' };

    for (let i = 0; i < 3; i++) expect((await fetch(`${t.url}${PROBE}`, { headers: key.headers })).status).toBe(200);
    expect((await fetch(`${t.url}/api/v1/locations/loc_00000000000000000000000000`, { headers: key.headers })).status).toBe(404);
    expect((await fetch(`${t.url}/no/such/path/abc123`, { headers: { accept: 'application/json' } })).status).toBe(404);

    const after = await metrics.scrape();
    expect(valueOf(after, REQUESTS, ok) - valueOf(before, REQUESTS, ok)).toBe(3);
    expect(valueOf(after, REQUESTS, byId) - valueOf(before, REQUESTS, byId)).toBe(1);
    expect(valueOf(after, REQUESTS, unrouted) - valueOf(before, REQUESTS, unrouted)).toBe(1);
    expect(valueOf(after, DURATION_COUNT, { method: 'GET', route: '/api/v1/locations' }) - valueOf(before, DURATION_COUNT, { method: 'GET', route: '/api/v1/locations' })).toBe(3);
    expect(after.some((s) => Object.values(s.labels).some((v) => v.includes('/no/such') || v.includes('loc_')))).toBe(false);
  });

  it('counts allowed and refused decisions of a rate-limited key', async () => {
    const agency = await createAgency(t.app, { tier: 'enterprise' });
    const key = await createApiKey(t.app, agency.id, { rate_limit: 2 });
    const allowed = await metrics.value('faro_rate_limit_decisions_total', { result: 'allowed' });
    const refused = await metrics.value('faro_rate_limit_decisions_total', { result: 'refused' });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(`${t.url}${PROBE}`, { headers: key.headers })).status);
    expect(statuses).toEqual([200, 200, 429, 429]);
    expect(await metrics.value('faro_rate_limit_decisions_total', { result: 'allowed' })).toBe(allowed + 2);
    expect(await metrics.value('faro_rate_limit_decisions_total', { result: 'refused' })).toBe(refused + 2);
    expect(await metrics.value(REQUESTS, { route: '/api/v1/locations', status: '429' })).toBeGreaterThanOrEqual(2);
  });

  it('says which limiter backend answers', async () => {
    const backend = process.env.TEST_REDIS_URL ? 'redis' : 'memory';
    expect(await metrics.value('faro_rate_limiter_backend', { backend })).toBe(1);
    expect(await metrics.value('faro_rate_limiter_backend', { backend: backend === 'redis' ? 'memory' : 'redis' })).toBe(0);
  });

  it('keeps one registry per app: two apps in one process count apart', async () => {
    const other = await createTestApp({ env: METRICS_ENV });
    try {
      expect(other.ctx.metrics!.registry).not.toBe(t.ctx.metrics!.registry);
      const mine = await metrics.value(REQUESTS);
      await other.app.inject({ method: 'GET', url: '/healthz' });
      await other.app.inject({ method: 'GET', url: '/healthz' });
      expect(await metrics.value(REQUESTS)).toBe(mine);
      const theirs = await other.ctx.metrics!.registry.getSingleMetric(REQUESTS)!.get();
      expect(theirs.values).toEqual([expect.objectContaining({ labels: { method: 'GET', route: '/healthz', status: 200 }, value: 2 })]);
    } finally {
      await other.close();
    }
  });
});

describe('metrics: the limiter falls back to memory when Redis goes away', () => {
  it('reports memory while the circuit breaker is open, redis again once it closes', async () => {
    const redis = await startOwnRedis();
    const t = await createTestApp({ listen: true, env: { ...METRICS_ENV, REDIS_URL: redis.url } });
    const metrics = await scraperOf(t);
    try {
      const agency = await createAgency(t.app);
      const key = await createApiKey(t.app, agency.id);
      expect((await fetch(`${t.url}${PROBE}`, { headers: key.headers })).status).toBe(200);
      expect(await metrics.value('faro_rate_limiter_backend', { backend: 'redis' })).toBe(1);

      await redis.kill();
      await until(async () => {
        expect((await fetch(`${t.url}${PROBE}`, { headers: key.headers })).status).toBe(200);
        return (await metrics.value('faro_rate_limiter_backend', { backend: 'memory' })) === 1;
      }, 'the breaker to open', 15_000);
      expect(await metrics.value('faro_rate_limiter_backend', { backend: 'redis' })).toBe(0);

      await redis.restart();
      await until(async () => (await metrics.value('faro_rate_limiter_backend', { backend: 'redis' })) === 1, 'the breaker to close', 15_000);
    } finally {
      await metrics.close();
      await t.close();
      await redis.stop();
    }
  });
});

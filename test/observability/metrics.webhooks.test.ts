import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulate } from '../support/fixtures.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { freePort } from '../core/service-process.ts';
import { addSubscription, deliverySetup, type DeliverySetup } from '../webhooks/delivery-harness.ts';
import { openPostgres } from '../../src/db/database.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createServiceMetrics } from '../../src/observability/metrics.ts';
import { QUEUE_STATS_TTL_MS } from '../../src/observability/queue-gauges.ts';
import { METRICS_ENV, parseMetrics, scraperOf, valueOf, type Scraper } from './scrape.ts';

const ATTEMPTS = 'faro_webhook_attempts_total';

describe('metrics: webhook attempts, queue and outbox gauges', () => {
  let s: DeliverySetup;
  let metrics: Scraper;
  let ok: WebhookReceiver;
  let failing: WebhookReceiver;

  beforeAll(async () => {
    s = await deliverySetup({ env: { ...METRICS_ENV, FARO_WEBHOOK_RETRY_JITTER: '0' } });
    metrics = await scraperOf(s.t);
    ok = await startWebhookReceiver();
    failing = await startWebhookReceiver({ answer: () => ({ status: 500 }) });
  });
  afterAll(async () => {
    await metrics?.close();
    await s?.t.close();
    await ok?.close();
    await failing?.close();
  });

  it('reads the queue once per few seconds, and the gauges follow an event from the outbox to its attempts', async () => {
    const cache = s.t.ctx.metrics!.queueStats;
    const nothing = await metrics.scrape();
    const reads = cache.reads;
    expect(valueOf(nothing, 'faro_database_up')).toBe(1);
    expect(valueOf(nothing, 'faro_outbox_lag_seconds')).toBe(0);
    for (const status of ['pending', 'scheduled', 'delivering']) expect(valueOf(nothing, 'faro_webhook_queue_depth', { status })).toBe(0);

    await addSubscription(s.t, s.agency.id, { url: `${ok.url}/hook` });
    await addSubscription(s.t, s.agency.id, { url: `${failing.url}/hook` });
    const closedPort = await freePort();
    await addSubscription(s.t, s.agency.id, { url: `http://127.0.0.1:${closedPort}/hook` });
    await simulate(s.t.app, s.agency.id, 'review.created');

    // Within the cache's life a scrape reuses the last reading: no query, the old picture.
    expect(await metrics.value('faro_outbox_lag_seconds')).toBe(0);
    expect(cache.reads).toBe(reads);

    s.clock.advance(QUEUE_STATS_TTL_MS);
    expect(await metrics.value('faro_outbox_lag_seconds')).toBe(QUEUE_STATS_TTL_MS / 1000);
    expect(cache.reads).toBe(reads + 1);

    await s.dispatcher.runOnce();
    s.clock.advance(QUEUE_STATS_TTL_MS);
    let samples = await metrics.scrape();
    expect(valueOf(samples, 'faro_outbox_lag_seconds')).toBe(0);
    expect(valueOf(samples, 'faro_webhook_queue_depth', { status: 'pending' })).toBe(3);
    expect(valueOf(samples, 'faro_webhook_queue_lag_seconds')).toBe(QUEUE_STATS_TTL_MS / 1000);
    expect(valueOf(samples, ATTEMPTS)).toBe(0);

    // The event is now 10 s old: that is its event-to-delivery time.
    expect(await s.worker.runOnce()).toBe(3);
    s.clock.advance(QUEUE_STATS_TTL_MS);
    samples = await metrics.scrape();
    expect(valueOf(samples, ATTEMPTS, { result: 'success' })).toBe(1);
    expect(valueOf(samples, ATTEMPTS, { result: 'http_status' })).toBe(1);
    expect(valueOf(samples, ATTEMPTS, { result: 'connection' })).toBe(1);
    expect(valueOf(samples, 'faro_webhook_attempt_duration_seconds_count')).toBe(3);
    expect(valueOf(samples, 'faro_webhook_attempt_duration_seconds_sum')).toBeGreaterThan(0);
    expect(valueOf(samples, 'faro_webhook_event_to_delivery_seconds_count')).toBe(1);
    expect(valueOf(samples, 'faro_webhook_event_to_delivery_seconds_sum')).toBe(2 * QUEUE_STATS_TTL_MS / 1000);
    expect(valueOf(samples, 'faro_webhook_queue_depth', { status: 'pending' })).toBe(0);
    expect(valueOf(samples, 'faro_webhook_queue_depth', { status: 'scheduled' })).toBe(2);
    // Both retries are due 5 s after their attempt, which is now: not late yet.
    expect(valueOf(samples, 'faro_webhook_queue_lag_seconds')).toBe(0);
    s.clock.advance(3 * QUEUE_STATS_TTL_MS);
    expect(await metrics.value('faro_webhook_queue_lag_seconds')).toBe(3 * QUEUE_STATS_TTL_MS / 1000);
    expect(failing.requests).toHaveLength(1);
    expect(ok.requests).toHaveLength(1);
  });

  it('gives the database pool gauges (PGlite: its one connection)', async () => {
    const samples = await metrics.scrape();
    if (s.t.database.kind === 'pglite') {
      expect(valueOf(samples, 'faro_database_pool_max')).toBe(1);
      expect(valueOf(samples, 'faro_database_pool_total')).toBe(1);
    } else {
      expect(valueOf(samples, 'faro_database_pool_max')).toBe(5);
      expect(valueOf(samples, 'faro_database_pool_total')).toBeGreaterThanOrEqual(1);
    }
    expect(valueOf(samples, 'faro_database_pool_idle')).toBeLessThanOrEqual(valueOf(samples, 'faro_database_pool_total'));
    expect(samples.some((sample) => sample.name === 'faro_database_pool_waiting')).toBe(true);
  });
});

describe('metrics: a database that does not answer', () => {
  it('reports faro_database_up 0 and no queue figures rather than zeros', async () => {
    const port = await freePort();
    const database = await openPostgres(`postgres://postgres@127.0.0.1:${port}/nothing_listens_here`, 2);
    try {
      const metrics = createServiceMetrics({ database, clock: systemClock, limiter: undefined });
      const samples = parseMetrics(await metrics.registry.metrics());
      expect(valueOf(samples, 'faro_database_up')).toBe(0);
      expect(samples.filter((sample) => sample.name === 'faro_webhook_queue_depth')).toEqual([]);
      for (const lag of ['faro_webhook_queue_lag_seconds', 'faro_outbox_lag_seconds']) expect(valueOf(samples, lag)).toBeNaN();
      expect(valueOf(samples, 'faro_database_pool_max')).toBe(2);
    } finally {
      await database.close();
    }
  });
});

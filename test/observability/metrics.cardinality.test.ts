import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgency, simulate } from '../support/fixtures.ts';
import { createApiKey } from '../support/api-keys.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { addSubscription, deliverySetup, type DeliverySetup } from '../webhooks/delivery-harness.ts';
import { SCOPES } from '../../src/domains/api/auth-context.ts';
import { METRICS_ENV, scraperOf, type Scraper } from './scrape.ts';

/** A public id (`rev_` + 26 Crockford characters), an id with its prefix cut off, or an API key. */
const LOOKS_LIKE_AN_ID = [/[a-z]+_[0-9a-z]{10,}/, /[0-9a-hjkmnp-tv-z]{26}/, /faro_(live|test)_/];

describe('metrics: no id in any label (cardinality)', () => {
  let s: DeliverySetup;
  let metrics: Scraper;
  let receiver: WebhookReceiver;
  const ids: string[] = [];

  beforeAll(async () => {
    s = await deliverySetup({ env: METRICS_ENV, appOptions: { listen: true } });
    metrics = await scraperOf(s.t);
    receiver = await startWebhookReceiver({ answer: (request) => ({ status: request.path.endsWith('/fail') ? 503 : 200 }) });
  });
  afterAll(async () => {
    await metrics?.close();
    await s?.t.close();
    await receiver?.close();
  });

  it('after traffic and deliveries of several agencies, every label value is from a closed set', async () => {
    for (let i = 0; i < 3; i++) {
      const agency = await createAgency(s.t.app, { tier: i === 0 ? 'enterprise' : 'scale' });
      const key = await createApiKey(s.t.app, agency.id, { scopes: SCOPES, ...(i === 0 ? { rate_limit: 3 } : {}) });
      const ok = await addSubscription(s.t, agency.id, { url: `${receiver.url}/${agency.id}/ok` });
      const failing = await addSubscription(s.t, agency.id, { url: `${receiver.url}/${agency.id}/fail` });
      const { event_id: eventId, resource } = await simulate(s.t.app, agency.id, 'review.created');
      const reviewId = String(resource.id);
      ids.push(agency.id, key.id, ok.id, failing.id, eventId, reviewId);
      const get = (path: string) => fetch(`${s.t.url}/api/v1${path}`, { headers: key.headers });
      for (const path of ['/reviews', `/reviews/${reviewId}`, `/reviews/${reviewId}x`, '/events', `/events/${eventId}`, `/webhooks/${ok.id}`, `/webhooks/${ok.id}/deliveries`, '/locations?limit=2']) {
        expect((await get(path)).status).toBeLessThan(500);
      }
      await fetch(`${s.t.url}/${agency.id}/${key.key}`, { headers: { accept: 'application/json' } });
    }
    // Six review.created deliveries, plus any operational event the traffic raised (a key near its quota).
    expect(await s.deliverDue()).toBeGreaterThanOrEqual(6);

    const samples = await metrics.scrape();
    expect(samples.some((sample) => sample.name === 'faro_webhook_attempts_total')).toBe(true);
    expect(samples.some((sample) => sample.labels.result === 'refused')).toBe(true);
    const values = new Set(samples.flatMap((sample) => Object.values(sample.labels)));
    const offending = [...values].filter((value) => LOOKS_LIKE_AN_ID.some((pattern) => pattern.test(value)) || ids.some((id) => value.includes(id)));
    expect(offending).toEqual([]);
    const routes = new Set(samples.filter((sample) => sample.name === 'faro_http_requests_total').map((sample) => sample.labels.route));
    expect(routes).toContain('/api/v1/reviews/:id');
    expect(routes).toContain('unrouted');
    expect([...routes].every((route) => route === 'unrouted' || !/[0-9]{3,}/.test(route!))).toBe(true);
  });

  it('the patterns it checks with do catch ids (the test above could fail)', () => {
    for (const id of ids) expect(LOOKS_LIKE_AN_ID.some((pattern) => pattern.test(id))).toBe(true);
  });
});

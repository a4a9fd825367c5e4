import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createAgency, simulate } from '../support/fixtures.ts';
import { addSubscription } from './delivery-harness.ts';
import { createSubscription, newCaller } from './support.ts';
import { terminateListeners, usingPostgres } from '../support/database.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

describe('webhook worker: wake-up', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    // A poll slower than the test: only the NOTIFY wake-ups can deliver in time.
    t = await createTestApp({ worker: true, env: { FARO_WEBHOOK_POLL_INTERVAL_MS: '60000' } });
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('delivers a simulated event to an idle receiver without waiting for the poll, signed', async () => {
    const agency = await createAgency(t.app, { tier: 'scale' });
    const sub = await addSubscription(t, agency.id, { url: `${receiver.url}/live`, events: ['review.created', 'sync.failed'] });

    const first = await simulate(t.app, agency.id, 'review.created');
    await receiver.waitForRequests(1, 5_000);
    expect(receiver.requests[0]!.headers['webhook-id']).toBe(first.event_id);
    expect(new Webhook(sub.secret).verify(receiver.requests[0]!.body, receiver.requests[0]!.headers)).toMatchObject({ id: first.event_id, type: 'review.created' });

    // Idle again, then another event.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await simulate(t.app, agency.id, 'sync.failed');
    await receiver.waitForRequests(2, 5_000);
    expect(receiver.requests[1]!.headers['webhook-id']).toBe(second.event_id);
  });

  it('end to end: a subscription made through the API receives a simulated event, and the log shows it', async () => {
    const caller = await newCaller(t);
    const created = await createSubscription(caller, { url: `${receiver.url}/e2e`, events: ['lead.converted'] });
    const { event_id } = await simulate(t.app, caller.agency.id, 'lead.converted');

    const request = await receiver.waitFor((r) => r.path === '/e2e' && r.headers['webhook-id'] === event_id, { timeoutMs: 5_000 });
    expect(new Webhook(created.secret).verify(request.body, request.headers)).toMatchObject({ id: event_id, type: 'lead.converted', agency_id: caller.agency.id });

    let listed: { data: { event_id: string; status: string; attempts: number }[] } | undefined;
    for (let i = 0; i < 100 && listed?.data[0]?.status !== 'succeeded'; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 50));
      listed = (await caller.call('GET', `/webhooks/${created.id}/deliveries`)).json();
    }
    expect(listed!.data).toMatchObject([{ event_id, status: 'succeeded', attempts: 1 }]);
  });

  it.skipIf(!usingPostgres())('keeps waking on NOTIFY after Postgres drops its LISTEN connections', async () => {
    const agency = await createAgency(t.app, { tier: 'scale' });
    await addSubscription(t, agency.id, { url: `${receiver.url}/after-drop`, events: ['review.created'] });
    // The dispatcher's and the worker's (and the key cache's, which has Redis or LISTEN).
    expect(await terminateListeners(t.database)).toBeGreaterThanOrEqual(2);
    // They reconnect within ~100 ms; the poll is a minute away, so only NOTIFY can deliver in time.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const { event_id } = await simulate(t.app, agency.id, 'review.created');
    const request = await receiver.waitFor((r) => r.path === '/after-drop', { timeoutMs: 5_000 });
    expect(request.headers['webhook-id']).toBe(event_id);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { createTestApp, type TestApp } from '../support/app.ts';
import { adminHeaders, login } from '../support/fixtures.ts';
import { createApiKey } from '../support/api-keys.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { catalogEntry } from '../../src/domains/events/catalog.ts';
import { createSubscription, deliveryRow, newCaller, type Caller } from './support.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

describe('POST /webhooks/:id/test', () => {
  let t: TestApp;
  let caller: Caller;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    t = await createTestApp();
    caller = await newCaller(t);
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  it('sends a signed webhook.test ping at once and answers what the endpoint did', async () => {
    const sub = await createSubscription(caller, { url: `${receiver.url}/hooks/ping`, events: ['review.created'] });
    receiver.answer(200, 'thanks!');
    const before = receiver.requests.length;

    const response = await caller.call('POST', `/webhooks/${sub.id}/test`, {});
    expect(response.statusCode, response.body).toBe(200);
    const outcome = response.json();
    expect(outcome).toEqual({
      delivery_id: expect.stringMatching(/^whdel_/),
      success: true,
      status_code: 200,
      duration_ms: expect.any(Number),
      response_body_excerpt: 'thanks!',
      error_kind: null,
      error_message: null,
    });

    expect(receiver.requests).toHaveLength(before + 1);
    const request = receiver.requests[before]!;
    expect(request.path).toBe('/hooks/ping');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toBe('FARO-Webhooks/1');
    const payload = new Webhook(sub.secret).verify(request.body, request.headers) as Record<string, unknown>;
    expect(payload).toEqual({
      id: expect.stringMatching(/^evt_[0-9a-z]{26}$/),
      type: 'webhook.test',
      timestamp: expect.any(String),
      agency_id: caller.agency.id,
      livemode: true,
      data: { message: expect.any(String), subscription_id: sub.id },
    });
    expect(Object.keys(payload)).toEqual(['id', 'type', 'timestamp', 'agency_id', 'livemode', 'data']);
    // Receivers dedupe on webhook-id; it is the envelope's id, as for real events.
    expect(request.headers['webhook-id']).toBe(payload.id);
    expect(Math.abs(Date.parse(payload.timestamp as string) - Date.now())).toBeLessThan(60_000);

    // Recorded in the log as a test, finished, and not scheduled again.
    const row = await deliveryRow(t, outcome.delivery_id);
    expect(row).toMatchObject({ is_test: true, status: 'succeeded', attempts: 1, next_attempt_at: null, event_id: null, event_type: 'webhook.test' });
    const log = (await caller.call('GET', `/webhooks/${sub.id}/deliveries`)).json();
    expect(log.data[0]).toMatchObject({ id: outcome.delivery_id, is_test: true, status: 'succeeded', event_type: 'webhook.test', last_status_code: 200, event_id: payload.id });
  });

  it('sends a sample of a chosen event type: schema-valid, with fresh ids and times', async () => {
    const sub = await createSubscription(caller, { url: `${receiver.url}/hooks/sample` });
    const before = receiver.requests.length;
    const response = await caller.call('POST', `/webhooks/${sub.id}/test`, { event_type: 'review.created' });
    expect(response.json()).toMatchObject({ success: true, status_code: 200 });

    const request = receiver.requests[before]!;
    const payload = new Webhook(sub.secret).verify(request.body, request.headers) as { id: string; type: string; data: Record<string, string> };
    const entry = catalogEntry('review.created');
    const validate = addFormats(new Ajv2020({ strict: false })).compile(entry.schema);
    expect(validate(payload), JSON.stringify(validate.errors)).toBe(true);
    expect(payload.type).toBe('review.created');
    expect(payload.id).not.toBe(entry.example.id);
    expect(payload.data.id).toMatch(/^rev_/);
    expect(payload.data.id).not.toBe(entry.example.data.id);
    expect(Math.abs(Date.parse(payload.data.created_at!) - Date.now())).toBeLessThan(60_000);
  });

  it('accepts a request without a body (a webhook.test ping)', async () => {
    const sub = await createSubscription(caller, { url: `${receiver.url}/hooks/nobody` });
    const response = await caller.call('POST', `/webhooks/${sub.id}/test`);
    expect(response.statusCode, response.body).toBe(200);
    expect(receiver.requests.at(-1)!.body).toContain('"type":"webhook.test"');
  });

  it('reports a failing endpoint, records the failure, and never retries a test', async () => {
    const sub = await createSubscription(caller, { url: `${receiver.url}/hooks/broken` });
    receiver.answer(500, 'boom: database unavailable');
    try {
      const outcome = (await caller.call('POST', `/webhooks/${sub.id}/test`, { event_type: 'lead.converted' })).json();
      expect(outcome).toMatchObject({ success: false, status_code: 500, response_body_excerpt: 'boom: database unavailable', error_kind: 'http_status' });
      const row = await deliveryRow(t, outcome.delivery_id);
      expect(row).toMatchObject({ status: 'failed', attempts: 1, next_attempt_at: null, last_status_code: 500 });

      const detail = (await caller.call('GET', `/webhook-deliveries/${outcome.delivery_id}`)).json();
      expect(detail.attempts).toHaveLength(1);
      expect(detail.attempts[0]).toMatchObject({ attempt_number: 1, response_status: 500, error_kind: 'http_status' });
      // A probe by hand says nothing about the endpoint's health.
      expect((await t.ctx.db.selectFrom('webhook_subscriptions').select('failing_since').where('id', '=', sub.id).executeTakeFirstOrThrow()).failing_since).toBeNull();
    } finally {
      receiver.answer(200);
    }
  });

  it('reports a connection failure when nothing listens', async () => {
    const gone = await startWebhookReceiver();
    const url = `${gone.url}/hooks/gone`;
    await gone.close();
    const sub = await createSubscription(caller, { url });
    const outcome = (await caller.call('POST', `/webhooks/${sub.id}/test`, {})).json();
    expect(outcome).toMatchObject({ success: false, status_code: null, response_body_excerpt: null, error_kind: 'connection', error_message: expect.any(String) });
  });

  it('works on a disabled subscription (to check a fix before re-enabling)', async () => {
    const sub = await createSubscription(caller, { url: `${receiver.url}/hooks/disabled`, enabled: false });
    const outcome = (await caller.call('POST', `/webhooks/${sub.id}/test`, {})).json();
    expect(outcome).toMatchObject({ success: true, status_code: 200 });
  });

  it('is a write: members (read-only) and read-only keys may not send tests', async () => {
    const sub = await createSubscription(caller, { url: `${receiver.url}/hooks/rbac` });
    const readOnlyKey = (await createApiKey(t.app, caller.agency.id, { scopes: ['webhooks:read'] })).key;
    const refusedKey = await t.app.inject({ method: 'POST', url: `/api/v1/webhooks/${sub.id}/test`, headers: { authorization: `Bearer ${readOnlyKey}` }, payload: {} });
    expect(refusedKey.statusCode).toBe(403);
    expect(refusedKey.json().code).toBe('insufficient_scope');

    const memberEmail = `member-${Date.now()}@agency.test`;
    const added = await t.app.inject({
      method: 'POST',
      url: `/admin/v1/agencies/${caller.agency.id}/users`,
      headers: adminHeaders,
      payload: { email: memberEmail, password: 'member-password-123', role: 'member', name: 'Member' },
    });
    expect(added.statusCode, added.body).toBe(201);
    const member = await login(t.app, memberEmail, 'member-password-123');
    const refused = await t.app.inject({ method: 'POST', url: `/api/v1/webhooks/${sub.id}/test`, headers: member.headers, payload: {} });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('insufficient_scope');
    const read = await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${sub.id}`, headers: { cookie: member.cookie } });
    expect(read.statusCode).toBe(200);
  });

  it('ends a test send it could not sign (secret unreadable) as failed, not stuck in delivering', async () => {
    const sub = await createSubscription(caller, { url: `${receiver.url}/hooks/unsignable` });
    // As if FARO_SECRET_KEY had changed under the stored, sealed secret.
    await t.ctx.db.updateTable('webhook_subscriptions').set({ secret_sealed: 'v1.AAAA.AAAA.AAAA' }).where('id', '=', sub.id).execute();
    const before = receiver.requests.length;
    const response = await caller.call('POST', `/webhooks/${sub.id}/test`, {});
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('AAAA');
    expect(receiver.requests).toHaveLength(before);
    const log = (await caller.call('GET', `/webhooks/${sub.id}/deliveries`)).json();
    expect(log.data).toHaveLength(1);
    expect(log.data[0]).toMatchObject({ is_test: true, status: 'failed', last_error: expect.stringContaining('could not be decrypted') });
  });
});

import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { pino } from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createApiKey } from '../support/api-keys.ts';
import { type ReceivedRequest, startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { createManualClock } from '../../src/lib/clock.ts';
import { signPayload } from '../../src/domains/webhooks/delivery/signer.ts';
import { createSubscription, newCaller, subscriptionRow, type Caller } from './support.ts';

const DAY_MS = 24 * 3600_000;

function signaturesOf(request: ReceivedRequest): string[] {
  return request.headers['webhook-signature']!.split(' ');
}

describe('webhook secrets: storage, reveal and rotation', () => {
  const clock = createManualClock(new Date());
  const logLines: string[] = [];
  let t: TestApp;
  let caller: Caller;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = pino({ level: 'trace' }, sink) as FastifyBaseLogger;
    t = await createTestApp({ clock, logger });
    caller = await newCaller(t);
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  async function sendTest(id: string): Promise<ReceivedRequest> {
    const before = receiver.requests.length;
    const response = await caller.call('POST', `/webhooks/${id}/test`, {});
    expect(response.json(), response.body).toMatchObject({ success: true });
    return receiver.requests[before]!;
  }

  it('keeps secrets encrypted at rest and out of lists and reads', async () => {
    const sub = await createSubscription(caller, { url: `${receiver.url}/at-rest` });
    const row = await subscriptionRow(t, sub.id);
    expect(JSON.stringify(row)).not.toContain('whsec_');
    expect(row.secret_sealed).toMatch(/^v1\./);
    expect(row.secret_sealed).not.toContain(sub.secret.slice('whsec_'.length));

    for (const url of ['/webhooks', `/webhooks/${sub.id}`]) {
      const response = await caller.call('GET', url);
      expect(response.statusCode).toBe(200);
      expect(response.body).not.toContain('whsec_');
    }
    const patched = await caller.call('PATCH', `/webhooks/${sub.id}`, { description: 'still secret' });
    expect(patched.body).not.toContain('whsec_');

    const revealed = await caller.call('GET', `/webhooks/${sub.id}/secret`);
    expect(revealed.statusCode).toBe(200);
    expect(revealed.json()).toEqual({ secret: sub.secret });
  });

  it('revealing the secret needs webhooks:write', async () => {
    const sub = await createSubscription(caller, { url: `${receiver.url}/reveal` });
    const reader = (await createApiKey(t.app, caller.agency.id, { scopes: ['webhooks:read'] })).key;
    const response = await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${sub.id}/secret`, headers: { authorization: `Bearer ${reader}` } });
    expect(response.statusCode).toBe(403);
    expect(response.body).not.toContain('whsec_');
  });

  it('signs with both secrets for 24 hours after a rotation, then with the new one only', async () => {
    const sub = await createSubscription(caller, { url: `${receiver.url}/rotate` });
    const oldSecret = sub.secret;
    expect(signaturesOf(await sendTest(sub.id))).toHaveLength(1);

    const rotatedAt = clock.now();
    const rotated = await caller.call('POST', `/webhooks/${sub.id}/rotate-secret`);
    expect(rotated.statusCode, rotated.body).toBe(200);
    const { secret: newSecret, previous_secret_expires_at } = rotated.json<{ secret: string; previous_secret_expires_at: string }>();
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(oldSecret);
    expect(previous_secret_expires_at).toBe(new Date(rotatedAt.getTime() + DAY_MS).toISOString());
    expect((await caller.call('GET', `/webhooks/${sub.id}/secret`)).json()).toEqual({ secret: newSecret });
    const row = await subscriptionRow(t, sub.id);
    expect(JSON.stringify(row)).not.toContain('whsec_');
    expect(row.previous_secret_sealed).toMatch(/^v1\./);

    // During the overlap a receiver verifies with either secret.
    clock.advance(60_000);
    const during = await sendTest(sub.id);
    expect(signaturesOf(during)).toHaveLength(2);
    expect(new Webhook(oldSecret).verify(during.body, during.headers)).toMatchObject({ type: 'webhook.test' });
    expect(new Webhook(newSecret).verify(during.body, during.headers)).toMatchObject({ type: 'webhook.test' });

    // After 24 hours only the new secret signs.
    clock.set(new Date(rotatedAt.getTime() + DAY_MS + 1000));
    const after = await sendTest(sub.id);
    const [signature, ...rest] = signaturesOf(after);
    expect(rest).toEqual([]);
    const input = { id: after.headers['webhook-id']!, timestamp: Number(after.headers['webhook-timestamp']), body: after.body };
    expect(signature).toBe(signPayload({ ...input, secrets: [newSecret] }));
    expect(signature).not.toBe(signPayload({ ...input, secrets: [oldSecret] }));
  });

  it('a second rotation replaces the previous secret: the first one stops signing at once', async () => {
    const sub = await createSubscription(caller, { url: `${receiver.url}/rotate-twice` });
    const first = sub.secret;
    const second = (await caller.call('POST', `/webhooks/${sub.id}/rotate-secret`)).json().secret as string;
    const third = (await caller.call('POST', `/webhooks/${sub.id}/rotate-secret`)).json().secret as string;
    const request = await sendTest(sub.id);
    const input = { id: request.headers['webhook-id']!, timestamp: Number(request.headers['webhook-timestamp']), body: request.body };
    expect(signaturesOf(request)).toEqual([signPayload({ ...input, secrets: [third] }), signPayload({ ...input, secrets: [second] })]);
    expect(signaturesOf(request)).not.toContain(signPayload({ ...input, secrets: [first] }));
  });

  it('never writes a secret to the logs', () => {
    expect(logLines.length).toBeGreaterThan(10);
    expect(logLines.join('\n')).not.toContain('whsec_');
  });
});

import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret } from '../secret-box.ts';
import { buildWebhookHeaders, signPayload } from './signer.ts';

const now = () => Math.floor(Date.now() / 1000);
const body = JSON.stringify({ id: 'evt_1', type: 'review.created', data: { text: 'Très bien ✓' } });

describe('buildWebhookHeaders', () => {
  it('carries the Standard Webhooks headers plus content type and user agent', () => {
    const timestamp = now();
    const headers = buildWebhookHeaders({ id: 'evt_1', timestamp, body, secrets: [generateWebhookSecret()] });
    expect(Object.keys(headers).sort()).toEqual(
      ['content-type', 'user-agent', 'webhook-id', 'webhook-signature', 'webhook-timestamp'],
    );
    expect(headers['content-type']).toBe('application/json');
    expect(headers['user-agent']).toBe('FARO-Webhooks/1');
    expect(headers['webhook-id']).toBe('evt_1');
    expect(headers['webhook-timestamp']).toBe(String(timestamp));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it('verifies with the standardwebhooks library', () => {
    const secret = generateWebhookSecret();
    const headers = buildWebhookHeaders({ id: 'evt_1', timestamp: now(), body, secrets: [secret] });
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });
});

describe('signPayload', () => {
  it('matches the reference signature of the standardwebhooks library', () => {
    const secret = generateWebhookSecret();
    const timestamp = now();
    expect(signPayload({ id: 'evt_9', timestamp, body, secrets: [secret] }))
      .toBe(new Webhook(secret).sign('evt_9', new Date(timestamp * 1000), body));
  });

  it('signs with both secrets during rotation, current first; each verifies', () => {
    const current = generateWebhookSecret();
    const previous = generateWebhookSecret();
    const headers = buildWebhookHeaders({ id: 'evt_2', timestamp: now(), body, secrets: [current, previous] });
    const [first, second] = headers['webhook-signature'].split(' ');
    expect(first).toBe(signPayload({ id: 'evt_2', timestamp: Number(headers['webhook-timestamp']), body, secrets: [current] }));
    expect(second).toMatch(/^v1,/);
    expect(() => new Webhook(current).verify(body, { ...headers })).not.toThrow();
    expect(() => new Webhook(previous).verify(body, { ...headers })).not.toThrow();
    expect(() => new Webhook(generateWebhookSecret()).verify(body, { ...headers })).toThrow(/No matching signature/);
  });

  it('fails verification when the body is modified', () => {
    const secret = generateWebhookSecret();
    const headers = buildWebhookHeaders({ id: 'evt_3', timestamp: now(), body, secrets: [secret] });
    expect(() => new Webhook(secret).verify(body.replace('Très', 'Tres'), { ...headers })).toThrow(/No matching signature/);
  });

  it('fails verification when the timestamp is modified', () => {
    const secret = generateWebhookSecret();
    const headers = buildWebhookHeaders({ id: 'evt_4', timestamp: now(), body, secrets: [secret] });
    const shifted = { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 1) };
    expect(() => new Webhook(secret).verify(body, shifted)).toThrow(/No matching signature/);
  });

  it('fails verification when the id is modified', () => {
    const secret = generateWebhookSecret();
    const headers = buildWebhookHeaders({ id: 'evt_5', timestamp: now(), body, secrets: [secret] });
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'evt_6' })).toThrow(/No matching signature/);
  });

  it.each([
    ['no secrets', { secrets: [] }],
    ['a secret without whsec_', { secrets: ['abc'] }],
    ['a secret that is not base64', { secrets: ['whsec_!!!'] }],
    ['an empty id', { id: '' }],
    ['a timestamp in milliseconds', { timestamp: Date.now() }],
    ['a fractional timestamp', { timestamp: 1.5 }],
  ])('rejects %s', (_name, override) => {
    const input = { id: 'evt_7', timestamp: now(), body, secrets: [generateWebhookSecret()], ...override };
    expect(() => signPayload(input)).toThrow(/signer:/);
  });
});

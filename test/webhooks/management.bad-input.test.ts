import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { expectProblem } from '../support/problem.ts';
import type { Problem } from '../../src/kit/errors.ts';
import { EVENT_TYPES, SUBSCRIBABLE_EVENT_TYPES } from '../../src/domains/events/event-types.ts';
import { createSubscription, newCaller, strictUrlOptions, type Caller } from './support.ts';

// A public address literal: with private targets blocked, a hostname would need real DNS.
const VALID = { url: 'https://93.184.215.14/faro', events: ['review.created'] };
const NEVER_ISSUED = 'whsub_01jd5m0d9d6v3fw8p3n4q7r2s1';

/** What a subscription may list, and what a test send may pick: the schema enums' messages. */
const SUBSCRIBABLE = `must be one of: ${[...SUBSCRIBABLE_EVENT_TYPES, '*'].join(', ')}`;
const ANY_TYPE = `must be one of: ${EVENT_TYPES.join(', ')}`;

/** The schema's enum refused exactly these items, each once, listing what it accepts. */
function expectEnumErrors(problem: Problem, badPaths: string[], message: string): void {
  expect(problem.errors).toEqual(badPaths.map((path) => ({ path, message })));
}

describe('webhook management: bad input', () => {
  let t: TestApp;
  let caller: Caller;
  let subId: string;

  beforeAll(async () => {
    t = await createTestApp(strictUrlOptions());
    caller = await newCaller(t);
    subId = (await createSubscription(caller, VALID)).id;
  });
  afterAll(async () => t?.close());

  it('refuses malformed JSON and non-JSON bodies', async () => {
    expectProblem(await caller.call('POST', '/webhooks', '{"url": "https://x.example.com",'), 400, 'malformed_json');
    expectProblem(await caller.call('PATCH', `/webhooks/${subId}`, '{enabled: true}'), 400, 'malformed_json');
    expectProblem(await caller.call('POST', `/webhooks/${subId}/test`, 'nope'), 400, 'malformed_json');
    expectProblem(await caller.call('POST', `/webhooks/${subId}/recover`, '['), 400, 'malformed_json');
    const text = await t.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks',
      headers: { authorization: `Bearer ${caller.key}`, 'content-type': 'text/plain' },
      payload: 'url=https://x.example.com',
    });
    // Not JSON either way: refused before the handler (415, or 400 when a text parser takes it).
    expect([400, 415]).toContain(text.statusCode);
    expect(text.headers['content-type']).toContain('application/problem+json');
  });

  it.each([
    ['url is not a string', { ...VALID, url: 123 }, 'body.url'],
    ['events is not a list', { ...VALID, events: 'review.created' }, 'body.events'],
    ['an event is not a string', { ...VALID, events: [42] }, 'body.events[0]'],
    ['enabled is a string', { ...VALID, enabled: 'yes' }, 'body.enabled'],
    ['description is a number', { ...VALID, description: 5 }, 'body.description'],
    ['description is too long', { ...VALID, description: 'x'.repeat(501) }, 'body.description'],
    ['url is missing', { events: ['*'] }, 'body.url'],
    ['events is missing', { url: VALID.url }, 'body.events'],
    ['events is empty', { ...VALID, events: [] }, 'body.events'],
    ['events has duplicates', { ...VALID, events: ['review.created', 'review.created'] }, 'body.events'],
    ['an unknown field', { ...VALID, secret: 'whsec_mine' }, 'body.secret'],
  ])('create: 400 when %s', async (_case, body, path) => {
    const problem = expectProblem(await caller.call('POST', '/webhooks', body), 400, 'validation_failed');
    expect(problem.errors?.map((e) => e.path)).toContain(path);
  });

  it('names unknown event types (the schema enum), and refuses webhook.test and "*" mixed with types', async () => {
    const before = (await caller.call('GET', '/webhooks')).json<{ data: unknown[] }>().data.length;
    const unknown = expectProblem(await caller.call('POST', '/webhooks', { ...VALID, events: ['review.created', 'review.deleted', 'lead.won'] }), 400, 'validation_failed');
    expectEnumErrors(unknown, ['body.events[1]', 'body.events[2]'], SUBSCRIBABLE);
    // The test ping is sent by test requests only: not in the enum of what a subscription may list.
    const ping = expectProblem(await caller.call('POST', '/webhooks', { ...VALID, events: ['webhook.test'] }), 400, 'validation_failed');
    expectEnumErrors(ping, ['body.events[0]'], SUBSCRIBABLE);
    const mixed = expectProblem(await caller.call('POST', '/webhooks', { ...VALID, events: ['*', 'review.created'] }), 400, 'validation_failed');
    expect(mixed.errors).toEqual([{ path: 'body.events', message: '"*" cannot be combined with other event types' }]);
    const patched = expectProblem(await caller.call('PATCH', `/webhooks/${subId}`, { events: ['review.created', 'conversation.closed'] }), 400, 'validation_failed');
    expectEnumErrors(patched, ['body.events[1]'], SUBSCRIBABLE);
    // Nothing was created or changed.
    expect((await caller.call('GET', '/webhooks')).json<{ data: unknown[] }>().data).toHaveLength(before);
    expect((await caller.call('GET', `/webhooks/${subId}`)).json()).toMatchObject(VALID);
  });

  it.each([
    ['not a URL', 'not a url', 'not a valid absolute URL'],
    ['another scheme', 'ftp://hooks.example.com/x', 'https'],
    ['plain http', 'http://hooks.example.com/x', 'https'],
    ['credentials in the URL', 'https://user:pw@hooks.example.com/x', 'credentials'],
    ['loopback', 'https://127.0.0.1/hook', 'loopback'],
    ['loopback in decimal', 'https://2130706433/hook', 'loopback'],
    ['loopback in octal', 'https://0177.0.0.1/hook', 'loopback'],
    ['loopback in hex', 'https://0x7f.1/hook', 'loopback'],
    ['IPv6 loopback', 'https://[::1]/hook', 'loopback'],
    ['IPv4-mapped IPv6', 'https://[::ffff:127.0.0.1]/hook', '::ffff:7f00:1'],
    ['a private address', 'https://10.0.0.5/hook', 'private'],
    ['the metadata address', 'https://169.254.169.254/latest/meta-data', 'metadata'],
    ['localhost', 'https://localhost:8443/hook', 'loopback'],
    ['CGNAT', 'https://100.64.1.1/hook', 'carrier-grade NAT'],
    ['unspecified', 'https://0.0.0.0/hook', 'unspecified'],
    ['a name that does not resolve', 'https://hooks.nonexistent.invalid/hook', 'could not resolve hooks.nonexistent.invalid'],
  ])('create: 400 invalid_webhook_url for %s', async (_case, url, reason) => {
    const problem = expectProblem(await caller.call('POST', '/webhooks', { ...VALID, url }), 400, 'invalid_webhook_url');
    expect(problem.detail).toMatch(/^The webhook URL is not allowed: /);
    expect(problem.detail).toContain(reason);
    expect(problem.errors).toEqual([{ path: 'body.url', message: expect.stringContaining(reason) }]);
  });

  it.each([
    ['plain http to localhost', 'http://localhost:8080/webhooks', 'URL must use https'],
    ['plain http to a loopback address', 'http://127.0.0.1:8080/webhooks', 'URL must use https'],
    ['https to localhost', 'https://localhost:8443/webhooks', 'localhost is a loopback name'],
    ['a private address', 'https://192.168.1.20/webhooks', '192.168.1.20 is a private address'],
    ['an IPv6 unique local address', 'https://[fd00::5]/webhooks', 'fd00::5 is a private (unique local) address'],
  ])('a local or private target (%s) is told the way forward', async (_case, url, reason) => {
    const problem = expectProblem(await caller.call('POST', '/webhooks', { ...VALID, url }), 400, 'invalid_webhook_url');
    const advice = /For local development, receive events on your machine with "faro listen"; on a self-hosted development instance, set FARO_WEBHOOK_ALLOW_PRIVATE=1/;
    expect(problem.detail).toContain(`The webhook URL is not allowed: ${reason}.`);
    expect(problem.detail).toMatch(advice);
    expect(problem.errors).toHaveLength(1);
    expect(problem.errors?.[0]?.path).toBe('body.url');
    expect(problem.errors?.[0]?.message).toContain(reason);
    expect(problem.errors?.[0]?.message).toMatch(advice);
  });

  it.each([
    ['plain http to a public host', 'http://93.184.215.14/faro'],
    ['credentials in the URL', 'https://user:pw@93.184.215.14/faro'],
    ['a name that does not resolve', 'https://hooks.nonexistent.invalid/hook'],
  ])('a public or unresolvable target (%s) gets no local-development advice', async (_case, url) => {
    const problem = expectProblem(await caller.call('POST', '/webhooks', { ...VALID, url }), 400, 'invalid_webhook_url');
    expect(problem.detail).not.toContain('faro listen');
    expect(JSON.stringify(problem.errors)).not.toContain('FARO_WEBHOOK_ALLOW_PRIVATE');
  });

  it('update: validates like create, and needs at least one field', async () => {
    const bad = expectProblem(await caller.call('PATCH', `/webhooks/${subId}`, { url: 'https://192.168.1.10/hook' }), 400, 'invalid_webhook_url');
    expect(bad.detail).toContain('private');
    expectProblem(await caller.call('PATCH', `/webhooks/${subId}`, {}), 400, 'validation_failed');
    const unknown = expectProblem(await caller.call('PATCH', `/webhooks/${subId}`, { enabled: true, paused: true }), 400, 'validation_failed');
    expect(unknown.errors).toEqual([{ path: 'body.paused', message: 'is not a known field' }]);
    expectProblem(await caller.call('PATCH', `/webhooks/${subId}`, { enabled: 1 }), 400, 'validation_failed');
    expectProblem(await caller.call('PATCH', `/webhooks/${subId}`, { events: [] }), 400, 'validation_failed');
    // Nothing changed along the way.
    expect((await caller.call('GET', `/webhooks/${subId}`)).json()).toMatchObject(VALID);
  });

  it('test send: unknown event types and unknown fields are 400', async () => {
    const unknown = expectProblem(await caller.call('POST', `/webhooks/${subId}/test`, { event_type: 'review.deleted' }), 400, 'validation_failed');
    expectEnumErrors(unknown, ['body.event_type'], ANY_TYPE);
    expectProblem(await caller.call('POST', `/webhooks/${subId}/test`, { event_type: 5 }), 400, 'validation_failed');
    expectProblem(await caller.call('POST', `/webhooks/${subId}/test`, { type: 'webhook.test' }), 400, 'validation_failed');
  });

  it('recover: since must be an RFC 3339 time within 30 days and not in the future', async () => {
    const at = (ms: number) => new Date(Date.now() + ms).toISOString();
    const future = expectProblem(await caller.call('POST', `/webhooks/${subId}/recover`, { since: at(3600_000) }), 400, 'validation_failed');
    expect(future.errors).toEqual([{ path: 'body.since', message: 'must not be in the future' }]);
    const old = expectProblem(await caller.call('POST', `/webhooks/${subId}/recover`, { since: at(-31 * 24 * 3600_000) }), 400, 'validation_failed');
    expect(old.errors?.[0]?.path).toBe('body.since');
    expectProblem(await caller.call('POST', `/webhooks/${subId}/recover`, { since: 'yesterday' }), 400, 'validation_failed');
    expectProblem(await caller.call('POST', `/webhooks/${subId}/recover`, {}), 400, 'validation_failed');
    expectProblem(await caller.call('POST', `/webhooks/${subId}/recover`, { since: at(-1000), also: 1 }), 400, 'validation_failed');
  });

  it('lists: bad cursors, limits, filters and unknown parameters are 400', async () => {
    const cursor = expectProblem(await caller.call('GET', '/webhooks?cursor=bm90LWEtY3Vyc29y'), 400, 'invalid_cursor');
    expect(cursor.errors).toEqual([{ path: 'query.cursor', message: 'is not a valid cursor' }]);
    // A cursor of another list (events) is not one of this list.
    const eventCursor = Buffer.from('v1:evt_01jd5m0d9d6v3fw8p3n4q7r2s1').toString('base64url');
    expectProblem(await caller.call('GET', `/webhooks?cursor=${eventCursor}`), 400, 'invalid_cursor');
    expectProblem(await caller.call('GET', '/webhooks?limit=0'), 400, 'validation_failed');
    expectProblem(await caller.call('GET', '/webhooks?limit=101'), 400, 'validation_failed');
    expectProblem(await caller.call('GET', '/webhooks?limit=ten'), 400, 'validation_failed');
    expectProblem(await caller.call('GET', '/webhooks?sort=url'), 400, 'validation_failed');
    expectProblem(await caller.call('GET', `/webhooks/${subId}/deliveries?status=lost`), 400, 'validation_failed');
    expectProblem(await caller.call('GET', `/webhooks/${subId}/deliveries?event_type=review.deleted`), 400, 'validation_failed');
    expectProblem(await caller.call('GET', `/webhooks/${subId}/deliveries?cursor=%25%25`), 400, 'invalid_cursor');
    expectProblem(await caller.call('GET', '/events?type=webhook.test'), 400, 'validation_failed');
    expectProblem(await caller.call('GET', '/events?created_since=last-week'), 400, 'validation_failed');
    expectProblem(await caller.call('GET', '/events?cursor=abc'), 400, 'invalid_cursor');
    expectProblem(await caller.call('GET', `/webhooks/${subId}?expand=secret`), 400, 'validation_failed');
  });

  it('malformed and never-issued ids are 404 on every endpoint', async () => {
    for (const id of ['nope', NEVER_ISSUED, 'whdel_01jd5m0d9d6v3fw8p3n4q7r2s1', `${subId}x`]) {
      expectProblem(await caller.call('GET', `/webhooks/${id}`), 404, 'not_found');
      expectProblem(await caller.call('PATCH', `/webhooks/${id}`, { enabled: false }), 404, 'not_found');
      expectProblem(await caller.call('DELETE', `/webhooks/${id}`), 404, 'not_found');
      expectProblem(await caller.call('GET', `/webhooks/${id}/secret`), 404, 'not_found');
      expectProblem(await caller.call('POST', `/webhooks/${id}/rotate-secret`), 404, 'not_found');
      expectProblem(await caller.call('POST', `/webhooks/${id}/test`, {}), 404, 'not_found');
      expectProblem(await caller.call('GET', `/webhooks/${id}/deliveries`), 404, 'not_found');
      expectProblem(await caller.call('POST', `/webhooks/${id}/recover`, { since: new Date().toISOString() }), 404, 'not_found');
    }
    for (const id of ['nope', 'whdel_01jd5m0d9d6v3fw8p3n4q7r2s1', NEVER_ISSUED]) {
      expectProblem(await caller.call('GET', `/webhook-deliveries/${id}`), 404, 'not_found');
      expectProblem(await caller.call('POST', `/webhook-deliveries/${id}/retry`), 404, 'not_found');
    }
    for (const id of ['nope', 'evt_01jd5m0d9d6v3fw8p3n4q7r2s1']) {
      expectProblem(await caller.call('GET', `/events/${id}`), 404, 'not_found');
    }
  });
});

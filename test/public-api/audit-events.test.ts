// GET /api/v1/audit-events: every audited action (API keys, webhook subscriptions, their secrets,
// redelivery and recovery) appears with its actor and the Request-Id of the request that made it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createManualClock } from '../../src/lib/clock.ts';
import { SCOPES } from '../../src/domains/api/auth-context.ts';
import type { ProblemCode } from '../../src/kit/errors.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { addMember, adminHeaders, createAgency, login, type PortalLogin, type TestAgency } from '../support/fixtures.ts';
import { createApiKey } from '../support/api-keys.ts';
import { insertDelivery } from '../webhooks/support.ts';
import { expectProblem } from '../support/problem.ts';

const clock = createManualClock(new Date());
const MINUTE = 60_000;
const URL_TOKEN = 'token=s3cr3t-in-query';

interface Expected {
  action: string;
  actor: { type: string; id: string | null; label: string | null };
  target: { type: string; id: string };
  request_id: string;
  created_at: string;
}
interface AuditEvent extends Expected {
  id: string;
  target: { type: string; id: string; label: string | null };
  details: Record<string, unknown>;
}
interface AuditPage {
  data: AuditEvent[];
  has_more: boolean;
  next_cursor: string | null;
}

let t: TestApp;
let agency: TestAgency;
let owner: PortalLogin;
let ownerId: string;
let writer: { id: string; key: string; headers: Record<string, string> };
let reader: Record<string, string>;
/** What each audited request should have logged, oldest first. */
const journal: Expected[] = [];
/** Every secret the scenario saw: none may appear in the log. */
const secrets: string[] = [];
let subscriptionId: string;
let deliveryId: string;
let otherAgency: { agency: TestAgency; headers: Record<string, string>; keyId: string };

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const operator = { type: 'operator', id: null, label: null };

/** Make one audited request; remember what it should have logged; one minute later, the next. */
async function audited(
  options: InjectOptions,
  expected: { action: string; actor: Expected['actor']; target: (body: Record<string, unknown>) => Expected['target'] },
  log: Expected[] = journal,
): Promise<Record<string, unknown>> {
  const at = clock.now().toISOString();
  const response = await t.app.inject(options);
  expect(response.statusCode, response.body).toBeLessThan(300);
  const body = response.body ? response.json<Record<string, unknown>>() : {};
  log.push({ action: expected.action, actor: expected.actor, target: expected.target(body), request_id: String(response.headers['request-id']), created_at: at });
  clock.advance(MINUTE);
  return body;
}

async function list(query: string, headers = reader): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'GET', url: `/api/v1/audit-events${query}`, headers });
}

async function page(query: string, headers = reader): Promise<AuditPage> {
  const response = await list(query, headers);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<AuditPage>();
}

const shape = (event: AuditEvent): Expected => ({
  action: event.action,
  actor: event.actor,
  target: { type: event.target.type, id: event.target.id },
  request_id: event.request_id,
  created_at: event.created_at,
});

beforeAll(async () => {
  t = await createTestApp({ clock });
  agency = await createAgency(t.app);
  owner = await login(t.app, agency.email, agency.password);
  ownerId = (await t.app.inject({ method: 'GET', url: '/portal/api/me', headers: owner.headers })).json<{ user: { id: string } }>().user.id;
  const user = { type: 'user', id: ownerId, label: agency.email };
  const keyTarget = (body: Record<string, unknown>) => ({ type: 'api_key', id: String(body.id) });

  // API keys: by an operator and by the owner, rotated and revoked.
  const created = await audited(
    { method: 'POST', url: `/admin/v1/agencies/${agency.id}/api-keys`, headers: adminHeaders, payload: { name: 'Writer', scopes: SCOPES } },
    { action: 'api_key.created', actor: operator, target: keyTarget },
  );
  writer = { id: String(created.id), key: String(created.key), headers: bearer(String(created.key)) };
  const readerKey = await audited(
    { method: 'POST', url: '/portal/api/api-keys', headers: owner.headers, payload: { name: 'Auditor', scopes: ['audit:read'] } },
    { action: 'api_key.created', actor: user, target: keyTarget },
  );
  reader = bearer(String(readerKey.key));
  const spare = await audited(
    { method: 'POST', url: '/portal/api/api-keys', headers: owner.headers, payload: { name: 'Spare', scopes: ['locations:read'] } },
    { action: 'api_key.created', actor: user, target: keyTarget },
  );
  const rotated = await audited(
    { method: 'POST', url: `/portal/api/api-keys/${String(spare.id)}/rotate`, headers: owner.headers, payload: { grace_period_seconds: 0 } },
    { action: 'api_key.rotated', actor: user, target: () => ({ type: 'api_key', id: String(spare.id) }) },
  );
  await audited(
    { method: 'POST', url: `/admin/v1/agencies/${agency.id}/api-keys/${String(rotated.id)}/revoke`, headers: adminHeaders, payload: {} },
    { action: 'api_key.revoked', actor: operator, target: () => ({ type: 'api_key', id: String(rotated.id) }) },
  );
  secrets.push(writer.key, String(readerKey.key), String(spare.key), String(rotated.key));

  // Webhooks: created with a key, changed by the owner's session, secrets revealed and rotated.
  const byKey = { type: 'api_key', id: writer.id, label: 'Writer' };
  const subscription = await audited(
    { method: 'POST', url: '/api/v1/webhooks', headers: writer.headers, payload: { url: `http://127.0.0.1:9/hooks/a?${URL_TOKEN}`, events: ['review.created'] } },
    { action: 'webhook.created', actor: byKey, target: (body) => ({ type: 'webhook_subscription', id: String(body.id) }) },
  );
  subscriptionId = String(subscription.id);
  const subscriptionTarget = () => ({ type: 'webhook_subscription', id: subscriptionId });
  await audited(
    { method: 'PATCH', url: `/api/v1/webhooks/${subscriptionId}`, headers: owner.headers, payload: { events: ['review.created', 'lead.converted'], description: 'CRM' } },
    { action: 'webhook.updated', actor: user, target: subscriptionTarget },
  );
  const revealed = await audited(
    { method: 'GET', url: `/api/v1/webhooks/${subscriptionId}/secret`, headers: writer.headers },
    { action: 'webhook.secret_revealed', actor: byKey, target: subscriptionTarget },
  );
  const rotatedSecret = await audited(
    { method: 'POST', url: `/api/v1/webhooks/${subscriptionId}/rotate-secret`, headers: owner.headers },
    { action: 'webhook.secret_rotated', actor: user, target: subscriptionTarget },
  );
  secrets.push(String(subscription.secret), String(revealed.secret), String(rotatedSecret.secret), URL_TOKEN);

  // Deliveries: one redelivered with a key, then failed ones recovered by the owner.
  const failed = await insertDelivery(t, { agencyId: agency.id, subscriptionId, status: 'failed', createdAt: clock.now() });
  deliveryId = failed.id;
  clock.advance(MINUTE);
  await audited(
    { method: 'POST', url: `/api/v1/webhook-deliveries/${deliveryId}/retry`, headers: writer.headers },
    { action: 'webhook_delivery.redelivered', actor: byKey, target: () => ({ type: 'webhook_delivery', id: deliveryId }) },
  );
  await insertDelivery(t, { agencyId: agency.id, subscriptionId, status: 'failed', createdAt: clock.now() });
  clock.advance(MINUTE);
  await audited(
    { method: 'POST', url: `/api/v1/webhooks/${subscriptionId}/recover`, headers: owner.headers, payload: { since: new Date(clock.now().getTime() - 60 * MINUTE).toISOString() } },
    { action: 'webhook.recovered', actor: user, target: subscriptionTarget },
  );
  await audited(
    { method: 'DELETE', url: `/api/v1/webhooks/${subscriptionId}`, headers: writer.headers },
    { action: 'webhook.deleted', actor: byKey, target: subscriptionTarget },
  );

  // Another agency with entries of its own.
  const other = await createAgency(t.app);
  const otherLog: Expected[] = [];
  const otherKey = await audited(
    { method: 'POST', url: `/admin/v1/agencies/${other.id}/api-keys`, headers: adminHeaders, payload: { name: 'Other', scopes: SCOPES } },
    { action: 'api_key.created', actor: operator, target: keyTarget },
    otherLog,
  );
  otherAgency = { agency: other, headers: bearer(String(otherKey.key)), keyId: String(otherKey.id) };
  await audited(
    { method: 'POST', url: '/api/v1/webhooks', headers: otherAgency.headers, payload: { url: 'http://127.0.0.1:9/other', events: ['*'] } },
    { action: 'webhook.created', actor: { type: 'api_key', id: otherAgency.keyId, label: 'Other' }, target: (body) => ({ type: 'webhook_subscription', id: String(body.id) }) },
    otherLog,
  );
});

afterAll(async () => t?.close());

describe('GET /api/v1/audit-events', () => {
  it('lists every audited action newest first, with its actor and the Request-Id of the request that made it', async () => {
    const result = await page('?limit=100');
    expect(result.has_more).toBe(false);
    expect(result.data.map(shape)).toEqual([...journal].reverse());
    expect(new Set(journal.map((entry) => entry.request_id)).size).toBe(journal.length);
    for (const event of result.data) expect(event.id).toMatch(/^audit_/);
  });

  it('names targets as they are now: a key by its name, a subscription by its URL without the query', async () => {
    const { data } = await page('?limit=100');
    expect(data.find((e) => e.action === 'api_key.rotated')!.target.label).toBe('Spare');
    expect(data.find((e) => e.action === 'webhook.created')!.target.label).toBe('http://127.0.0.1:9/hooks/a');
    expect(data.find((e) => e.action === 'webhook_delivery.redelivered')!.target.label).toBeNull();
  });

  it('records what changed in details, and never a secret (keys, signing secrets, tokens in URLs)', async () => {
    const { data } = await page('?limit=100');
    const byAction = (action: string) => data.find((e) => e.action === action)!.details;
    expect(byAction('webhook.created')).toEqual({ url: 'http://127.0.0.1:9/hooks/a', events: ['review.created'], description: '', enabled: true });
    expect(byAction('webhook.updated')).toEqual({
      changes: { events: ['review.created', 'lead.converted'], description: 'CRM' },
      previous: { events: ['review.created'], description: '' },
    });
    expect(byAction('webhook.recovered')).toMatchObject({ requeued: 1 });
    expect(byAction('webhook_delivery.redelivered')).toMatchObject({ subscription_id: subscriptionId, event_type: 'review.created', status_before: 'failed' });
    expect(byAction('webhook.secret_revealed')).toEqual({});
    expect(byAction('webhook.deleted')).toEqual({ url: 'http://127.0.0.1:9/hooks/a' });
    const stored = JSON.stringify(await t.ctx.db.selectFrom('audit_log').selectAll().execute());
    for (const secret of secrets) expect(stored).not.toContain(secret);
  });

  it('a refused change writes no entry', async () => {
    const live = await audited(
      { method: 'POST', url: '/api/v1/webhooks', headers: writer.headers, payload: { url: 'http://127.0.0.1:9/b', events: ['*'] } },
      { action: 'webhook.created', actor: { type: 'api_key', id: writer.id, label: 'Writer' }, target: (body) => ({ type: 'webhook_subscription', id: String(body.id) }) },
    );
    const before = (await page('?limit=100')).data.length;
    expectProblem(await t.app.inject({ method: 'PATCH', url: `/api/v1/webhooks/${live.id}`, headers: writer.headers, payload: { url: 'ftp://nowhere' } }), 400, 'invalid_webhook_url');
    expectProblem(await t.app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${subscriptionId}`, headers: writer.headers }), 404, 'not_found');
    expectProblem(await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${subscriptionId}/secret`, headers: writer.headers }), 404, 'not_found');
    const memberLogin = await addMember(t.app, agency.id);
    expectProblem(await t.app.inject({ method: 'POST', url: `/api/v1/webhooks/${live.id}/rotate-secret`, headers: memberLogin.headers }), 403, 'insufficient_scope');
    expect((await page('?limit=100')).data.map(shape)).toEqual([...journal].reverse());
    expect(before).toBe(journal.length);
  });

  it('filters by action (repeat the parameter for several)', async () => {
    const one = await page('?action=webhook.secret_revealed');
    expect(one.data.map(shape)).toEqual(journal.filter((e) => e.action === 'webhook.secret_revealed'));
    const keys = await page('?action=api_key.created&action=api_key.revoked&limit=100');
    expect(keys.data.map(shape)).toEqual(journal.filter((e) => e.action === 'api_key.created' || e.action === 'api_key.revoked').reverse());
  });

  it('filters by time: created_since is inclusive, created_before exclusive', async () => {
    const from = journal[3]!.created_at;
    const until = journal[8]!.created_at;
    const since = await page(`?created_since=${from}&limit=100`);
    expect(since.data.map(shape).at(-1)).toEqual(journal[3]);
    expect(since.data.every((e) => e.created_at >= from)).toBe(true);
    const window = await page(`?created_since=${from}&created_before=${until}&limit=100`);
    expect(window.data.map(shape)).toEqual(journal.slice(3, 8).reverse());
    const combined = await page(`?created_before=${until}&action=api_key.created&limit=100`);
    expect(combined.data.map(shape)).toEqual(journal.slice(0, 8).filter((e) => e.action === 'api_key.created').reverse());
  });

  it('pages with limit and cursor: every entry once, in order, and the last page says so', async () => {
    const all = (await page('?limit=100')).data.map((e) => e.id);
    const walked: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const next: AuditPage = await page(`?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      walked.push(...next.data.map((e) => e.id));
      expect(next.has_more).toBe(next.next_cursor !== null);
      cursor = next.next_cursor;
      pages += 1;
    } while (cursor);
    expect(walked).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 4));
    const filtered = await page('?action=api_key.created&limit=2');
    const rest = await page(`?action=api_key.created&limit=100&cursor=${filtered.next_cursor}`);
    expect([...filtered.data, ...rest.data].map(shape)).toEqual(journal.filter((e) => e.action === 'api_key.created').reverse());
  });

  it('shows only the caller\'s agency', async () => {
    const mine = new Set((await page('?limit=100')).data.map((e) => e.id));
    const theirs = await page('?limit=100', otherAgency.headers);
    expect(theirs.data.map((e) => e.action)).toEqual(['webhook.created', 'api_key.created']);
    expect(theirs.data.some((e) => mine.has(e.id))).toBe(false);
    // A cursor taken from one agency's list reads nothing of the other's.
    const first = await page('?limit=1');
    const crossed = await page(`?limit=100&cursor=${first.next_cursor}`, otherAgency.headers);
    expect(crossed.data.every((e) => !mine.has(e.id))).toBe(true);
  });

  it('answers bad input with a 400 problem naming the parameter', async () => {
    const cases: Array<[string, ProblemCode, string]> = [
      ['?action=webhook.exploded', 'validation_failed', 'query.action'],
      ['?limit=0', 'validation_failed', 'query.limit'],
      ['?limit=101', 'validation_failed', 'query.limit'],
      ['?created_since=yesterday', 'validation_failed', 'query.created_since'],
      ['?created_before=2026-13-01T00:00:00Z', 'validation_failed', 'query.created_before'],
      [`?created_since=${journal[5]!.created_at}&created_before=${journal[5]!.created_at}`, 'validation_failed', 'query.created_before'],
      ['?cursor=not-a-cursor', 'invalid_cursor', 'query.cursor'],
      [`?cursor=${Buffer.from('v1:whsub_01jd5m0d9d6v3fw8p3n4q7r2s1').toString('base64url')}`, 'invalid_cursor', 'query.cursor'],
      ['?actor=me', 'validation_failed', 'query.actor'],
    ];
    for (const [query, code, path] of cases) {
      const problem = expectProblem(await list(query), 400, code);
      expect(problem.errors, query).toEqual([expect.objectContaining({ path: expect.stringContaining(path) })]);
      expect(problem.type).toBe(`https://docs.faro.app/problems/${code.replaceAll('_', '-')}`);
    }
  });

  it('needs audit:read (sessions of owners and members hold it) and the Scale plan', async () => {
    const without = await createApiKey(t.app, agency.id, { name: 'No audit', scopes: SCOPES.filter((s) => s !== 'audit:read') });
    const refused = expectProblem(await list('', without.headers), 403, 'insufficient_scope');
    expect(refused.required_scope).toBe('audit:read');
    expectProblem(await list('', {}), 401, 'missing_credentials');
    const member = await addMember(t.app, agency.id);
    for (const session of [owner, member]) {
      const read = await page('?action=webhook.deleted', { cookie: session.cookie });
      expect(read.data.map(shape)).toEqual(journal.filter((e) => e.action === 'webhook.deleted'));
    }
    const growth = await createAgency(t.app, { tier: 'growth' });
    const growthOwner = await login(t.app, growth.email, growth.password);
    expectProblem(await list('', { cookie: growthOwner.cookie }), 403, 'tier_required');
  });
});

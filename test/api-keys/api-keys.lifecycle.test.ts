import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/lib/clock.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { adminHeaders, agencyWithOwner } from '../support/fixtures.ts';
import { createApiKey, type NewKey, withKey } from '../support/api-keys.ts';
import { expectProblem } from '../support/problem.ts';
import { eventually } from '../support/eventually.ts';

const START = new Date('2026-03-02T09:00:00.000Z');
const clock = createManualClock(START);
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(async () => {
  await t?.close();
});

async function show(id: string, headers: Record<string, string>) {
  const response = await t.app.inject({ method: 'GET', url: `/portal/api/api-keys/${id}`, headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<NewKey>();
}

async function rotate(id: string, headers: Record<string, string>, body?: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url: `/portal/api/api-keys/${id}/rotate`, headers, ...(body ? { payload: body } : {}) });
}

describe('API key lifecycle (portal)', () => {
  it('generates a key that is shown once, stored only as its hash, and listed masked', async () => {
    const { owner, agency } = await agencyWithOwner(t.app);
    const created = await createApiKey(t.app, owner, { name: 'CRM sync', scopes: ['locations:read', 'leads:write'] });
    expect(created.key).toMatch(/^faro_live_[0-9A-Za-z]{38}$/);
    expect(created).toMatchObject({
      name: 'CRM sync',
      scopes: ['locations:read', 'leads:write'],
      status: 'active',
      masked_key: `${created.key.slice(0, 14)}…${created.key.slice(-4)}`,
      rate_limit: 1000,
      custom_rate_limit: null,
      created_by: { email: agency.email },
      last_used_at: null,
      expires_at: null,
      revoked_at: null,
      replaced_by: null,
    });

    const list = await t.app.inject({ method: 'GET', url: '/portal/api/api-keys', headers: owner.headers });
    expect(list.statusCode).toBe(200);
    expect(list.json<{ data: NewKey[] }>().data.map((k) => k.id)).toEqual([created.id]);
    expect(list.body).not.toContain(created.key);
    expect(list.json<{ data: NewKey[] }>().data[0]).not.toHaveProperty('key');
    const shown = await show(created.id, owner.headers);
    expect(shown).not.toHaveProperty('key');
    expect(JSON.stringify(shown)).not.toContain(created.key.slice(14, -4));

    const row = await t.ctx.db.selectFrom('api_keys').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(row.key_hash).toBe(createHash('sha256').update(created.key).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(created.key.slice(14, -4));

    expect((await t.app.inject(withKey(created.key))).statusCode).toBe(200);
  });

  it('rotates with a grace period: both keys work until it ends, then only the new one', async () => {
    const { owner } = await agencyWithOwner(t.app);
    const old = await createApiKey(t.app, owner, { name: 'Zapier', scopes: ['reviews:read', 'locations:read'] });
    clock.advance(1000);
    const response = await rotate(old.id, owner.headers, { grace_period_seconds: 3600 });
    expect(response.statusCode, response.body).toBe(201);
    const fresh = response.json<NewKey>();
    expect(fresh).toMatchObject({ name: 'Zapier', scopes: ['reviews:read', 'locations:read'], status: 'active' });
    expect(fresh.key).not.toBe(old.key);
    const graceEnd = new Date(clock.now().getTime() + 3600_000).toISOString();
    expect(await show(old.id, owner.headers)).toMatchObject({ status: 'expiring', expires_at: graceEnd, replaced_by: fresh.id });

    expect((await t.app.inject(withKey(old.key))).statusCode).toBe(200);
    expect((await t.app.inject(withKey(fresh.key))).statusCode).toBe(200);
    clock.advance(3599_000);
    expect((await t.app.inject(withKey(old.key))).statusCode).toBe(200);
    clock.advance(1000);
    expectProblem(await t.app.inject(withKey(old.key)), 401, 'expired_api_key');
    expect((await t.app.inject(withKey(fresh.key))).statusCode).toBe(200);
    expect((await show(old.id, owner.headers)).status).toBe('expired');

    // The old key cannot be rotated again (its replacement can).
    expectProblem(await rotate(old.id, owner.headers, {}), 409, 'conflict');
  });

  it('rotation with no body uses a 24 h grace; a grace of 0 stops the old key at once', async () => {
    const { owner } = await agencyWithOwner(t.app);
    const first = await createApiKey(t.app, owner);
    const second = await rotate(first.id, owner.headers);
    expect(second.statusCode, second.body).toBe(201);
    expect((await show(first.id, owner.headers)).expires_at).toBe(new Date(clock.now().getTime() + 86_400_000).toISOString());

    const third = await createApiKey(t.app, owner);
    expect((await t.app.inject(withKey(third.key))).statusCode).toBe(200);
    const rotated = await rotate(third.id, owner.headers, { grace_period_seconds: 0 });
    expect(rotated.statusCode).toBe(201);
    expectProblem(await t.app.inject(withKey(third.key)), 401, 'expired_api_key');
    expect((await t.app.inject(withKey(rotated.json<NewKey>().key))).statusCode).toBe(200);
  });

  it('revokes at once, idempotently, and the key is refused from the next request on', async () => {
    const { owner } = await agencyWithOwner(t.app);
    const key = await createApiKey(t.app, owner);
    expect((await t.app.inject(withKey(key.key))).statusCode).toBe(200);
    const revoked = await t.app.inject({ method: 'POST', url: `/portal/api/api-keys/${key.id}/revoke`, headers: owner.headers });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(revoked.json()).toMatchObject({ id: key.id, status: 'revoked', revoked_at: clock.now().toISOString() });
    const refused = await t.app.inject(withKey(key.key));
    expectProblem(refused, 401, 'revoked_api_key');
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer /);

    const again = await t.app.inject({ method: 'POST', url: `/portal/api/api-keys/${key.id}/revoke`, headers: owner.headers });
    expect(again.statusCode).toBe(200);
    expectProblem(await rotate(key.id, owner.headers, {}), 409, 'conflict');
  });

  it('keeps an audit log of who created, rotated and revoked which key, and when', async () => {
    const { owner, agency } = await agencyWithOwner(t.app);
    const createdAt = clock.now().toISOString();
    const created = await t.app.inject({ method: 'POST', url: '/portal/api/api-keys', headers: owner.headers, payload: { name: 'Audited', scopes: ['locations:read'] } });
    const key = created.json<NewKey>();
    clock.advance(1000);
    const rotation = await rotate(key.id, owner.headers, { grace_period_seconds: 60 });
    const rotated = rotation.json<NewKey>();
    clock.advance(1000);
    const revoke = await t.app.inject({ method: 'POST', url: `/portal/api/api-keys/${rotated.id}/revoke`, headers: owner.headers });
    await t.app.inject({ method: 'POST', url: `/portal/api/api-keys/${rotated.id}/revoke`, headers: owner.headers });
    clock.advance(1000);
    const byOperator = await t.app.inject({ method: 'POST', url: `/admin/v1/agencies/${agency.id}/api-keys/${key.id}/revoke`, headers: adminHeaders });
    expect(byOperator.statusCode).toBe(200);

    // The log is the agency's whole audit log, read with the session like the portal does.
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/audit-events?action=api_key.created&action=api_key.rotated&action=api_key.revoked', headers: owner.headers });
    expect(response.statusCode, response.body).toBe(200);
    const entries = response.json<{ data: Array<Record<string, unknown>> }>().data;
    const actor = { type: 'user', id: expect.stringMatching(/^usr_/), label: agency.email };
    const target = (id: string, label: string) => ({ type: 'api_key', id, label });
    const requestId = (r: { headers: Record<string, unknown> }) => r.headers['request-id'];
    expect(entries).toEqual([
      expect.objectContaining({ action: 'api_key.revoked', actor: { type: 'operator', id: null, label: null }, target: target(key.id, 'Audited'), request_id: requestId(byOperator) }),
      expect.objectContaining({ action: 'api_key.revoked', actor, target: target(rotated.id, 'Audited'), request_id: requestId(revoke) }),
      expect.objectContaining({ action: 'api_key.rotated', actor, target: target(key.id, 'Audited'), request_id: requestId(rotation), details: expect.objectContaining({ new_key_id: rotated.id, grace_period_seconds: 60 }) }),
      expect.objectContaining({ action: 'api_key.created', actor, target: target(key.id, 'Audited'), request_id: requestId(created), created_at: createdAt }),
    ]);
    expect(entries[0]!.id).toMatch(/^audit_/);
    expect(entries.every((entry) => !('via' in (entry.details as object)))).toBe(true);
  });

  it('reports usage in the rolling hour and records last use at most once a minute', async () => {
    const { owner } = await agencyWithOwner(t.app);
    const key = await createApiKey(t.app, owner);
    for (let i = 0; i < 3; i++) expect((await t.app.inject(withKey(key.key))).statusCode).toBe(200);
    const usage = await t.app.inject({ method: 'GET', url: `/portal/api/api-keys/${key.id}/usage`, headers: owner.headers });
    expect(usage.statusCode, usage.body).toBe(200);
    expect(usage.json()).toEqual({ limit: 1000, used: 3, remaining: 997, window_seconds: 3600, reset_seconds: 0 });

    const firstUse = clock.now().toISOString();
    const lastUsed = async () => (await show(key.id, owner.headers)).last_used_at;
    expect(await eventually(async () => (await lastUsed()) === firstUse, 2000)).toBe(true);
    clock.advance(30_000);
    await t.app.inject(withKey(key.key));
    clock.advance(29_000);
    await t.app.inject(withKey(key.key));
    const writes = await t.ctx.db.selectFrom('api_keys').select('last_used_at').where('id', '=', key.id).executeTakeFirstOrThrow();
    expect(writes.last_used_at?.toISOString()).toBe(firstUse);
    clock.advance(1_000);
    await t.app.inject(withKey(key.key));
    const later = clock.now().toISOString();
    expect(await eventually(async () => (await lastUsed()) === later, 2000)).toBe(true);
  });
});

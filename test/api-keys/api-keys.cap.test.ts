import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/lib/clock.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { adminHeaders, agencyWithOwner, type PortalLogin } from '../support/fixtures.ts';
import { createApiKey, type NewKey, withKey } from '../support/api-keys.ts';
import { expectProblem } from '../support/problem.ts';

// The cap on active API keys per agency (default 50): every key has its own hourly quota, so
// without a cap an agency multiplies its quota by generating keys.

const clock = createManualClock(new Date('2026-03-02T09:00:00.000Z'));
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(async () => {
  await t?.close();
});

const portalCreate = (owner: PortalLogin, body: Record<string, unknown> = {}) =>
  t.app.inject({ method: 'POST', url: '/portal/api/api-keys', headers: owner.headers, payload: { name: 'Integration', scopes: ['locations:read'], ...body } });

const adminCreate = (agencyId: string) =>
  t.app.inject({ method: 'POST', url: `/admin/v1/agencies/${agencyId}/api-keys`, headers: adminHeaders, payload: { name: 'By operator', scopes: ['locations:read'] } });

const setCap = (agencyId: string, cap: unknown) =>
  t.app.inject({ method: 'PATCH', url: `/admin/v1/agencies/${agencyId}`, headers: adminHeaders, payload: { max_api_keys: cap } });

const rotate = (owner: PortalLogin, id: string, grace?: number) =>
  t.app.inject({ method: 'POST', url: `/portal/api/api-keys/${id}/rotate`, headers: owner.headers, payload: grace === undefined ? {} : { grace_period_seconds: grace } });

const revoke = (owner: PortalLogin, id: string) =>
  t.app.inject({ method: 'POST', url: `/portal/api/api-keys/${id}/revoke`, headers: owner.headers, payload: {} });

async function createKeys(owner: PortalLogin, count: number): Promise<NewKey[]> {
  const keys: NewKey[] = [];
  for (let i = 0; i < count; i++) keys.push(await createApiKey(t.app, owner, { name: `Key ${i}` }));
  return keys;
}

async function keyRows(agencyId: string) {
  return t.ctx.db.selectFrom('api_keys').select(['id', 'revoked_at', 'expires_at', 'replaced_by']).where('agency_id', '=', agencyId).execute();
}

async function auditCount(agencyId: string): Promise<number> {
  return (await t.ctx.db.selectFrom('audit_log').select('id').where('agency_id', '=', agencyId).execute()).length;
}

describe('cap on active API keys', () => {
  it('refuses the 51st key by default, from the portal and the operator API, with a 409 naming the cap', async () => {
    const { agency, owner } = await agencyWithOwner(t.app);
    const agencyView = await t.app.inject({ method: 'GET', url: `/admin/v1/agencies/${agency.id}`, headers: adminHeaders });
    expect(agencyView.json()).toMatchObject({ max_api_keys: null, effective_max_api_keys: 50 });
    await createKeys(owner, 50);
    const audits = await auditCount(agency.id);

    const portal = expectProblem(await portalCreate(owner), 409, 'conflict');
    expect(portal).toMatchObject({ max_api_keys: 50, active_api_keys: 50 });
    expect(portal.detail).toBe('This agency has 50 active API keys and may hold at most 50. Revoke a key it no longer uses, or ask FARO support to raise the cap.');

    const operator = expectProblem(await adminCreate(agency.id), 409, 'conflict');
    expect(operator).toMatchObject({ max_api_keys: 50, active_api_keys: 50 });
    expect(operator.detail).toContain(`PATCH /admin/v1/agencies/${agency.id} {"max_api_keys": <n>}`);

    // Refused means nothing was written: no key, no audit entry.
    expect(await keyRows(agency.id)).toHaveLength(50);
    expect(await auditCount(agency.id)).toBe(audits);
  });

  it('lets an operator raise the cap, and restore the default with null (keys above a lowered cap keep working)', async () => {
    const { agency, owner } = await agencyWithOwner(t.app);
    await createKeys(owner, 50);
    const raised = await setCap(agency.id, 52);
    expect(raised.statusCode, raised.body).toBe(200);
    expect(raised.json()).toMatchObject({ max_api_keys: 52, effective_max_api_keys: 52 });

    expect((await portalCreate(owner)).statusCode).toBe(201);
    const operatorKey = await adminCreate(agency.id);
    expect(operatorKey.statusCode, operatorKey.body).toBe(201);
    expect(expectProblem(await portalCreate(owner), 409, 'conflict')).toMatchObject({ max_api_keys: 52, active_api_keys: 52 });

    const restored = await setCap(agency.id, null);
    expect(restored.json()).toMatchObject({ max_api_keys: null, effective_max_api_keys: 50 });
    expect(expectProblem(await portalCreate(owner), 409, 'conflict')).toMatchObject({ max_api_keys: 50, active_api_keys: 52 });
    // The cap stops new keys; it does not switch existing ones off.
    expect((await t.app.inject(withKey(operatorKey.json<NewKey>().key))).statusCode).toBe(200);
  });

  it('refuses a cap that is not a positive integer up to 10,000, and changes nothing', async () => {
    const { agency } = await agencyWithOwner(t.app);
    expect((await setCap(agency.id, 7)).statusCode).toBe(200);
    for (const bad of [0, -1, 10_001, 2.5, '50', true]) {
      expectProblem(await setCap(agency.id, bad), 400, 'validation_failed');
    }
    const read = await t.app.inject({ method: 'GET', url: `/admin/v1/agencies/${agency.id}`, headers: adminHeaders });
    expect(read.json()).toMatchObject({ max_api_keys: 7, effective_max_api_keys: 7 });
    expect((await setCap(agency.id, 10_000)).json()).toMatchObject({ max_api_keys: 10_000 });
  });

  it('admits exactly 5 of 20 concurrent creates at cap - 5', async () => {
    const { agency, owner } = await agencyWithOwner(t.app);
    await createKeys(owner, 45);
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? portalCreate(owner) : adminCreate(agency.id))));
    const codes = responses.map((response) => response.statusCode);
    expect(codes.filter((code) => code === 201)).toHaveLength(5);
    expect(codes.filter((code) => code === 409)).toHaveLength(15);
    expect(await keyRows(agency.id)).toHaveLength(50);
  });

  it('does not count revoked or expired keys', async () => {
    const { agency, owner } = await agencyWithOwner(t.app);
    await setCap(agency.id, 3);
    const [first] = await createKeys(owner, 2);
    const expiring = await createApiKey(t.app, owner, { expires_at: new Date(clock.now().getTime() + 60_000).toISOString() });
    expectProblem(await portalCreate(owner), 409, 'conflict');

    expect((await revoke(owner, first!.id)).statusCode).toBe(200);
    expect((await portalCreate(owner)).statusCode).toBe(201);
    expectProblem(await portalCreate(owner), 409, 'conflict');

    clock.advance(60_000);
    expect((await t.app.inject(withKey(expiring.key))).statusCode).toBe(401);
    expect((await portalCreate(owner)).statusCode).toBe(201);
    expectProblem(await portalCreate(owner), 409, 'conflict');
  });

  it('rotates at the cap: the new key takes the old one’s place, and both work through the grace period', async () => {
    const { agency, owner } = await agencyWithOwner(t.app);
    await setCap(agency.id, 3);
    const [, , last] = await createKeys(owner, 3);
    const rotated = await rotate(owner, last!.id, 3600);
    expect(rotated.statusCode, rotated.body).toBe(201);
    const fresh = rotated.json<NewKey>();
    expect((await t.app.inject(withKey(last!.key))).statusCode).toBe(200);
    expect((await t.app.inject(withKey(fresh.key))).statusCode).toBe(200);
    // Still at the cap: the rotation freed no room and took none.
    expect(expectProblem(await portalCreate(owner), 409, 'conflict')).toMatchObject({ active_api_keys: 3 });
  });

  it('bounds the rotated keys in their grace period by the cap; a rotation with no grace always works', async () => {
    const { agency, owner } = await agencyWithOwner(t.app);
    await setCap(agency.id, 2);
    let [key] = await createKeys(owner, 2);
    for (let i = 0; i < 2; i++) {
      const response = await rotate(owner, key!.id, 3600);
      expect(response.statusCode, response.body).toBe(201);
      key = response.json<NewKey>();
    }
    const refused = expectProblem(await rotate(owner, key!.id, 3600), 409, 'conflict');
    expect(refused).toMatchObject({ max_api_keys: 2, keys_in_grace_period: 2 });
    expect(refused.detail).toContain('grace_period_seconds 0');
    expect((await t.app.inject(withKey(key!.key))).statusCode).toBe(200);

    const immediate = await rotate(owner, key!.id, 0);
    expect(immediate.statusCode, immediate.body).toBe(201);
    expect((await t.app.inject(withKey(key!.key))).statusCode).toBe(401);
    const working = (await keyRows(agency.id)).filter((row) => !row.revoked_at && (!row.expires_at || row.expires_at > clock.now()));
    expect(working).toHaveLength(4); // 2 active + 2 in their grace period: never more than twice the cap

    // Once a grace period ends, a rotation with one works again.
    clock.advance(3600_000);
    expect((await rotate(owner, immediate.json<NewKey>().id, 3600)).statusCode).toBe(201);
  });
});

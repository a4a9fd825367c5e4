import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { addMember, agencyWithOwner } from '../support/fixtures.ts';
import { createApiKey } from '../support/api-keys.ts';
import { expectProblem } from '../support/problem.ts';
import { createManualClock } from '../../src/lib/clock.ts';

const DAY = 24 * 3600_000;

describe('GET /portal/api/alerts: the banner’s open alerts', () => {
  const clock = createManualClock(new Date('2026-03-02T09:00:00.000Z'));
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ clock });
  });
  afterAll(async () => {
    await t?.close();
  });

  const alertsFor = (cookie: string, mode?: 'test') =>
    t.app.inject({ method: 'GET', url: '/portal/api/alerts', headers: { cookie, ...(mode ? { 'faro-mode': mode } : {}) } });

  it('lists the agency’s open alerts only (members too), by mode, until resolved', async () => {
    const a = await agencyWithOwner(t.app);
    const b = await agencyWithOwner(t.app);
    const expiresAt = new Date(clock.now().getTime() + 3 * DAY).toISOString();
    const key = await createApiKey(t.app, a.owner, { name: 'Zapier', expires_at: expiresAt });
    const testKey = await createApiKey(t.app, b.agency.id, { mode: 'test', expires_at: expiresAt });
    await t.ctx.services.alerts.checkHealth();

    const open = await alertsFor(a.owner.cookie);
    expect(open.statusCode).toBe(200);
    expect(open.json()).toEqual({
      data: [{
        id: expect.stringMatching(/^alert_/), kind: 'api_key_expiring', event_type: 'faro.api_key.expiring', subject_id: key.id,
        details: { key_id: key.id, name: 'Zapier', masked_key: key.masked_key, expires_at: expiresAt }, event_id: expect.stringMatching(/^evt_/),
        raised_at: clock.now().toISOString(),
      }],
    });
    const member = await addMember(t.app, a.agency.id);
    expect((await alertsFor(member.cookie)).json<{ data: unknown[] }>().data).toHaveLength(1);
    // Agency B sees none of A's; its test-mode key's alert shows in test mode only, and A's does not show there.
    expect((await alertsFor(b.owner.cookie)).json()).toEqual({ data: [] });
    expect((await alertsFor(b.owner.cookie, 'test')).json<{ data: { subject_id: string }[] }>().data.map((x) => x.subject_id)).toEqual([testKey.id]);
    expect((await alertsFor(a.owner.cookie, 'test')).json()).toEqual({ data: [] });

    await t.app.inject({ method: 'POST', url: `/portal/api/api-keys/${key.id}/revoke`, headers: a.owner.headers });
    await t.ctx.services.alerts.checkHealth();
    expect((await alertsFor(a.owner.cookie)).json()).toEqual({ data: [] });
  });

  it('needs a session, and takes no parameters', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/portal/api/alerts' })).statusCode).toBe(401);
    const { owner } = await agencyWithOwner(t.app);
    expectProblem(await t.app.inject({ method: 'GET', url: '/portal/api/alerts?agency_id=agy_x', headers: { cookie: owner.cookie } }), 400, 'validation_failed');
  });

  it('scopes fence the alert events: endpoint alerts need webhooks:read, key alerts audit:read, quota alerts usage:read, to subscribe or read them', async () => {
    const { agency } = await agencyWithOwner(t.app);
    const noAudit = await createApiKey(t.app, agency.id, { scopes: ['webhooks:read', 'webhooks:write', 'events:read'] });
    const subscribe = (key: { headers: Record<string, string> }, events: string[]) =>
      t.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: key.headers, payload: { url: 'https://hooks.example.com/ops', events } });
    const refused = expectProblem(await subscribe(noAudit, ['faro.endpoint.disabled', 'faro.api_key.expiring']), 403, 'insufficient_scope');
    expect(refused).toMatchObject({ required_scope: 'audit:read', required_scopes: ['audit:read'] });
    expect((await subscribe(noAudit, ['faro.endpoint.disabled', 'faro.endpoint.failing'])).statusCode).toBe(201);
    // A key's use of its quota is usage data: audit:read alone does not open it.
    const auditor = await createApiKey(t.app, agency.id, { scopes: ['webhooks:write', 'audit:read'] });
    const quota = expectProblem(await subscribe(auditor, ['faro.api_key.expiring', 'faro.rate_limit.approaching']), 403, 'insufficient_scope');
    expect(quota).toMatchObject({ required_scope: 'usage:read', required_scopes: ['usage:read'] });
    const usageReader = await createApiKey(t.app, agency.id, { scopes: ['webhooks:write', 'usage:read'] });
    expect((await subscribe(usageReader, ['faro.rate_limit.approaching'])).statusCode).toBe(201);

    await createApiKey(t.app, agency.id, { expires_at: new Date(clock.now().getTime() + DAY).toISOString() });
    await t.ctx.services.alerts.checkHealth();
    const listed = await t.app.inject({ method: 'GET', url: '/api/v1/events?type=faro.api_key.expiring', headers: noAudit.headers });
    expectProblem(listed, 403, 'insufficient_scope');
    const withAudit = await createApiKey(t.app, agency.id, { scopes: ['events:read', 'audit:read'] });
    const events = await t.app.inject({ method: 'GET', url: '/api/v1/events?type=faro.api_key.expiring', headers: withAudit.headers });
    expect(events.json<{ data: { type: string }[] }>().data.map((event) => event.type)).toEqual(['faro.api_key.expiring']);
  });
});

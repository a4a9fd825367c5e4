import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { createTestApp, type TestApp } from '../support/app.ts';
import { expectProblem } from '../support/problem.ts';
import { createApiKey } from '../support/api-keys.ts';
import { buildEventPayload, catalogEntry } from '../../src/domains/events/catalog.ts';
import { DOMAIN_EVENT_TYPES } from '../../src/domains/events/event-types.ts';
import { newCaller, raiseEvent, type Caller } from './support.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const DAY_MS = 24 * 3600_000;

describe('GET /events: catching up on missed webhooks', () => {
  let t: TestApp;
  let caller: Caller;
  const raised: { id: string; type: string; body: string }[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    caller = await newCaller(t);
    for (const type of DOMAIN_EVENT_TYPES) {
      const row = await raiseEvent(t, caller.agency.id, type);
      raised.push({ id: row.id, type, body: buildEventPayload(row) });
    }
  });
  afterAll(async () => t?.close());

  it('lists the agency\'s events newest first, each exactly as its webhook body', async () => {
    const response = await caller.call('GET', '/events');
    expect(response.statusCode, response.body).toBe(200);
    const page = response.json<{ data: { id: string; type: string }[]; has_more: boolean; next_cursor: string | null }>();
    // Simulations may raise more than one event (e.g. a conversation before its message).
    const ids = page.data.map((e) => e.id);
    expect(ids).toEqual([...ids].sort().reverse());
    for (const event of raised) {
      const listed = page.data.find((e) => e.id === event.id);
      expect(listed).toEqual(JSON.parse(event.body));
    }
  });

  it('every listed event validates against the catalog schema of its type', async () => {
    const ajv = addFormats(new Ajv2020({ strict: false }));
    const { data } = (await caller.call('GET', '/events?limit=100')).json<{ data: { type: string }[] }>();
    for (const event of data) {
      const validate = ajv.compile(catalogEntry(event.type as 'review.created').schema);
      expect(validate(event), `${event.type}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('filters by type and by created_since, and pages with a cursor', async () => {
    const reviews = (await caller.call('GET', '/events?type=review.created')).json<{ data: { type: string }[] }>();
    expect(reviews.data.length).toBeGreaterThan(0);
    expect(reviews.data.every((e) => e.type === 'review.created')).toBe(true);

    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await caller.call('GET', `/events?created_since=${encodeURIComponent(future)}`)).json().data).toEqual([]);
    const past = new Date(Date.now() - 3600_000).toISOString();
    const recent = (await caller.call('GET', `/events?created_since=${encodeURIComponent(past)}`)).json<{ data: unknown[] }>();
    expect(recent.data.length).toBeGreaterThanOrEqual(raised.length);

    const all = (await caller.call('GET', '/events?limit=100')).json<{ data: { id: string }[] }>().data.map((e) => e.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: { id: string }[]; next_cursor: string | null } = (await caller.call('GET', `/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((e) => e.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all);
  });

  it('gets one event by id', async () => {
    const event = raised.find((e) => e.type === 'lead.converted')!;
    const response = await caller.call('GET', `/events/${event.id}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(JSON.parse(event.body));
  });

  it('keeps 30 days: older events are neither listed nor readable', async () => {
    const row = await raiseEvent(t, caller.agency.id, 'sync.failed');
    await t.ctx.db.updateTable('events').set({ created_at: new Date(Date.now() - 31 * DAY_MS) }).where('id', '=', row.id).execute();
    expectProblem(await caller.call('GET', `/events/${row.id}`), 404, 'not_found');
    const since = new Date(Date.now() - 40 * DAY_MS).toISOString();
    const listed = (await caller.call('GET', `/events?limit=100&created_since=${encodeURIComponent(since)}`)).json<{ data: { id: string }[] }>();
    expect(listed.data.map((e) => e.id)).not.toContain(row.id);
  });

  it('needs the events:read scope', async () => {
    const key = (await createApiKey(t.app, caller.agency.id, { scopes: ['webhooks:read', 'reviews:read'] })).key;
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/events', headers: { authorization: `Bearer ${key}` } });
    expectProblem(response, 403, 'insufficient_scope');
    const one = await t.app.inject({ method: 'GET', url: `/api/v1/events/${raised[0]!.id}`, headers: { authorization: `Bearer ${key}` } });
    expectProblem(one, 403, 'insufficient_scope');
    const eventsOnly = (await createApiKey(t.app, caller.agency.id, { scopes: ['events:read'] })).key;
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/events', headers: { authorization: `Bearer ${eventsOnly}` } })).statusCode).toBe(200);
  });
});

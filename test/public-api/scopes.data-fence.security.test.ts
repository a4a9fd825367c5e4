// Scopes fence data (issue 9, point 4): an event, and a delivery of it, carries a resource, so it
// is readable and receivable only with that resource's read scope, whatever events/webhooks scope
// let the request in. Lists leave such events out (in SQL, so pages stay exact); by id, by type
// filter, by subscription and by test send it is 403 insufficient_scope naming the scope.
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../support/problem.ts';
import { adminHeaders, login } from '../support/fixtures.ts';
import { SCOPE_DESCRIPTIONS, SCOPES, type Scope } from '../../src/domains/api/auth-context.ts';
import { DOMAIN_EVENT_TYPES, EVENT_READ_SCOPES, SUBSCRIBABLE_EVENT_TYPES, type SubscribableEventType } from '../../src/domains/events/event-types.ts';
import {
  callerFor,
  createSubscription,
  createTestApp,
  deliveryRow,
  insertDelivery,
  newCaller,
  subscriptionRow,
  type Caller,
} from '../webhooks/support.ts';
import type { TestApp } from '../support/app.ts';
import { createApiKey } from '../support/api-keys.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

const scopeOf = (type: SubscribableEventType) => EVENT_READ_SCOPES[type]!;
/** The resource read scopes, in the order of the scope list (the order refusals name them in). */
const RESOURCE_SCOPES = SCOPES.filter((scope) => DOMAIN_EVENT_TYPES.some((type) => scopeOf(type) === scope));
/** What every key below holds besides resource scopes: each fenced endpoint lets it in. */
const GATE_SCOPES: Scope[] = ['events:read', 'webhooks:read', 'webhooks:write'];
/** What "*" needs: the read scope of every subscribable type, the health alerts' (webhooks:read, audit:read, usage:read) included. */
const STAR_SCOPES = SCOPES.filter((scope) => SUBSCRIBABLE_EVENT_TYPES.some((type) => scopeOf(type) === scope));
const missingForStar = (held: readonly Scope[]) => STAR_SCOPES.filter((scope) => !held.includes(scope));

interface Listed {
  id: string;
  type?: string;
  event_type?: string;
}
interface Page {
  data: Listed[];
  has_more: boolean;
  next_cursor: string | null;
}

/** Every item of a list, following next_cursor; checks each page's has_more/next_cursor agree. */
async function walk(caller: Caller, url: string, limit = 100): Promise<{ items: Listed[]; pages: Page[] }> {
  const pages: Page[] = [];
  let cursor: string | null = null;
  do {
    const separator = url.includes('?') ? '&' : '?';
    const response = await caller.call('GET', `${url}${separator}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(response.statusCode, response.body).toBe(200);
    const page = response.json<Page>();
    expect(page.has_more).toBe(page.next_cursor !== null);
    pages.push(page);
    cursor = page.next_cursor;
  } while (cursor);
  return { items: pages.flatMap((page) => page.data), pages };
}

function expectRefused(response: LightMyRequestResponse, missing: Scope[]): void {
  const problem = expectProblem(response, 403, 'insufficient_scope');
  expect(problem.required_scope).toBe(missing[0]);
  expect(problem.required_scopes).toEqual(missing);
  for (const scope of missing) expect(problem.detail).toContain(scope);
  // Rotating keeps a key's scopes, so the advice is a new key, never a rotation.
  expect(problem.detail).toContain(missing.length === 1 ? 'generate a key with that scope' : 'generate a key with those scopes');
  expect(problem.detail).not.toMatch(/rotate or/);
  expect(response.headers['www-authenticate']).toBe(`Bearer realm="FARO API", error="insufficient_scope", scope="${missing.join(' ')}"`);
}

let t: TestApp;
let owner: Caller;
let receiver: WebhookReceiver;
/** A `*` subscription whose log holds one delivery of every type, and a test ping. */
let fenced: { id: string };
/** Where the matrix's test sends go, so they do not change the fenced log. */
let pinged: { id: string };
const eventIds = {} as Record<SubscribableEventType, string>;
const deliveryIds = {} as Record<SubscribableEventType, string>;
let pingDeliveryId: string;
const onlyScope = {} as Record<Scope, Caller>;
const allButScope = {} as Record<Scope, Caller>;
let noResourceScope: Caller;

const keyCaller = async (scopes: Scope[]) => callerFor(t, owner.agency, (await createApiKey(t.app, owner.agency.id, { scopes })).key);
const liveSubscriptions = async () =>
  (await t.ctx.db.selectFrom('webhook_subscriptions').select('id').where('agency_id', '=', owner.agency.id).where('deleted_at', 'is', null).execute()).length;
const deliveriesOf = async (subscriptionId: string) =>
  (await t.ctx.db.selectFrom('webhook_deliveries').select('id').where('subscription_id', '=', subscriptionId).execute()).length;

beforeAll(async () => {
  t = await createTestApp();
  owner = await newCaller(t);
  receiver = await startWebhookReceiver();
  fenced = await createSubscription(owner, { url: `${receiver.url}/fenced` });
  pinged = await createSubscription(owner, { url: `${receiver.url}/tests` });
  for (const type of DOMAIN_EVENT_TYPES) {
    const delivery = await insertDelivery(t, { agencyId: owner.agency.id, subscriptionId: fenced.id, type, status: 'failed' });
    eventIds[type] = delivery.eventId;
    deliveryIds[type] = delivery.id;
  }
  const ping = await owner.call('POST', `/webhooks/${fenced.id}/test`, {});
  expect(ping.statusCode, ping.body).toBe(200);
  pingDeliveryId = ping.json<{ delivery_id: string }>().delivery_id;
  for (const scope of RESOURCE_SCOPES) {
    onlyScope[scope] = await keyCaller([...GATE_SCOPES, scope]);
    allButScope[scope] = await keyCaller(SCOPES.filter((other) => other !== scope));
  }
  noResourceScope = await keyCaller(GATE_SCOPES);
});

afterAll(async () => {
  await receiver?.close();
  await t?.close();
});

describe('the map of event type to resource scope', () => {
  it('gives every product event type a resource read scope, whose portal description names the type', () => {
    for (const type of DOMAIN_EVENT_TYPES) {
      expect(SCOPES, type).toContain(scopeOf(type));
      expect(scopeOf(type)).toMatch(/:read$/);
      expect(SCOPE_DESCRIPTIONS[scopeOf(type)], type).toContain(type);
    }
    expect(EVENT_READ_SCOPES['webhook.test']).toBeNull();
    expect(RESOURCE_SCOPES).toEqual(['locations:read', 'conversations:read', 'messages:read', 'reviews:read', 'leads:read']);
  });
});

describe.each(DOMAIN_EVENT_TYPES)('%s', (type) => {
  const needed = scopeOf(type);

  it.each(RESOURCE_SCOPES)('a key whose only resource scope is %s sees, reads and receives it only if that is the one it needs', async (held) => {
    const caller = onlyScope[held];
    const allowed = held === needed;

    const events = await walk(caller, '/events');
    expect(events.items.some((event) => event.type === type)).toBe(allowed);
    expect(events.items.every((event) => scopeOf(event.type as SubscribableEventType) === held)).toBe(true);
    const one = await caller.call('GET', `/events/${eventIds[type]}`);
    if (allowed) expect(one.json<Listed>().id).toBe(eventIds[type]);
    else expectRefused(one, [needed]);
    const byType = await caller.call('GET', `/events?type=${type}`);
    if (allowed) expect(byType.json<Page>().data.map((event) => event.type)).toContain(type);
    else expectRefused(byType, [needed]);

    const log = await walk(caller, `/webhooks/${fenced.id}/deliveries`);
    const readable = DOMAIN_EVENT_TYPES.filter((other) => scopeOf(other) === held).map((other) => deliveryIds[other]);
    expect(log.items.map((delivery) => delivery.id).sort()).toEqual([...readable, pingDeliveryId].sort());
    expect(log.items.some((delivery) => delivery.event_type === type)).toBe(allowed);
    const delivery = await caller.call('GET', `/webhook-deliveries/${deliveryIds[type]}`);
    if (allowed) expect(delivery.json<{ payload: { id: string } }>().payload.id).toBe(eventIds[type]);
    else expectRefused(delivery, [needed]);
    const logByType = await caller.call('GET', `/webhooks/${fenced.id}/deliveries?event_type=${type}`);
    if (allowed) expect(logByType.json<Page>().data.map((row) => row.id)).toEqual([deliveryIds[type]]);
    else expectRefused(logByType, [needed]);

    const before = await liveSubscriptions();
    const created = await caller.call('POST', '/webhooks', { url: `${receiver.url}/mine`, events: [type] });
    if (allowed) {
      expect(created.statusCode, created.body).toBe(201);
      expect((await owner.call('DELETE', `/webhooks/${created.json<{ id: string }>().id}`)).statusCode).toBe(204);
    } else {
      expectRefused(created, [needed]);
      expect(await liveSubscriptions()).toBe(before);
    }

    const [sentBefore, loggedBefore] = [receiver.requests.length, await deliveriesOf(pinged.id)];
    const sent = await caller.call('POST', `/webhooks/${pinged.id}/test`, { event_type: type });
    if (allowed) {
      expect(sent.statusCode, sent.body).toBe(200);
      expect(JSON.parse(receiver.requests.at(-1)!.body)).toMatchObject({ type });
    } else {
      expectRefused(sent, [needed]);
      expect(receiver.requests.length).toBe(sentBefore);
      expect(await deliveriesOf(pinged.id)).toBe(loggedBefore);
    }
  });

  it(`a key with every scope but ${needed}: left out of lists, 403 by id, and it cannot subscribe, redirect, redeliver or test-send it`, async () => {
    const caller = allButScope[needed];
    const events = (await walk(caller, '/events')).items;
    expect(events.map((event) => event.type)).not.toContain(type);
    const others = DOMAIN_EVENT_TYPES.filter((other) => scopeOf(other) !== needed);
    for (const other of others) expect(events.map((event) => event.id)).toContain(eventIds[other]);
    expectRefused(await caller.call('GET', `/events/${eventIds[type]}`), [needed]);

    const log = (await walk(caller, `/webhooks/${fenced.id}/deliveries`)).items;
    expect(log.map((row) => row.id).sort()).toEqual([...others.map((other) => deliveryIds[other]), pingDeliveryId].sort());
    expectRefused(await caller.call('GET', `/webhook-deliveries/${deliveryIds[type]}`), [needed]);
    expectRefused(await caller.call('POST', `/webhook-deliveries/${deliveryIds[type]}/retry`), [needed]);
    expect((await deliveryRow(t, deliveryIds[type])).status).toBe('failed');

    expectRefused(await caller.call('POST', '/webhooks', { url: `${receiver.url}/all`, events: ['*'] }), [needed]);
    const own = await createSubscription(owner, { url: `${receiver.url}/own-${type}`, events: [type] });
    const patches = [{ events: [type] }, { url: `${receiver.url}/stolen` }, { url: `${receiver.url}/stolen`, events: others }];
    for (const patch of patches.slice(0, 2)) expectRefused(await caller.call('PATCH', `/webhooks/${own.id}`, patch), [needed]);
    expect(await subscriptionRow(t, own.id)).toMatchObject({ url: `${receiver.url}/own-${type}`, events: [type] });
    // Replacing the types by readable ones is allowed: the new URL then gets only those.
    expect((await caller.call('PATCH', `/webhooks/${own.id}`, patches[2])).statusCode).toBe(200);
    expect((await caller.call('PATCH', `/webhooks/${own.id}`, { description: 'renamed', enabled: false })).statusCode).toBe(200);
    expectRefused(await caller.call('POST', `/webhooks/${pinged.id}/test`, { event_type: type }), [needed]);
    expect((await owner.call('DELETE', `/webhooks/${own.id}`)).statusCode).toBe(204);
  });

  it(`a key with ${needed} may redeliver it and move a subscription to it elsewhere`, async () => {
    const caller = onlyScope[needed];
    const own = await createSubscription(owner, { url: `${receiver.url}/own-${type}`, events: [type] });
    const moved = await caller.call('PATCH', `/webhooks/${own.id}`, { url: `${receiver.url}/moved-${type}` });
    expect(moved.statusCode, moved.body).toBe(200);
    const retried = await caller.call('POST', `/webhook-deliveries/${deliveryIds[type]}/retry`);
    expect(retried.statusCode, retried.body).toBe(202);
    expect((await deliveryRow(t, deliveryIds[type])).status).toBe('pending');
    expect((await owner.call('DELETE', `/webhooks/${own.id}`)).statusCode).toBe(204);
  });
});

describe('"*" and keys without resource scopes', () => {
  it.each(RESOURCE_SCOPES)('subscribing to "*" with only %s is refused, naming every other resource scope', async (held) => {
    const before = await liveSubscriptions();
    const response = await onlyScope[held].call('POST', '/webhooks', { url: `${receiver.url}/all`, events: ['*'] });
    expectRefused(response, missingForStar([...GATE_SCOPES, held]));
    expectRefused(await onlyScope[held].call('PATCH', `/webhooks/${pinged.id}`, { events: ['*'] }), missingForStar([...GATE_SCOPES, held]));
    expect(await liveSubscriptions()).toBe(before);
  });

  it('"*" needs every resource read scope and those of the health alerts, and those with webhooks:write are enough', async () => {
    expectRefused(await noResourceScope.call('POST', '/webhooks', { url: `${receiver.url}/all`, events: ['*'] }), missingForStar(GATE_SCOPES));
    const enough = await keyCaller(['webhooks:write', ...STAR_SCOPES]);
    const created = await enough.call('POST', '/webhooks', { url: `${receiver.url}/all`, events: ['*'] });
    expect(created.statusCode, created.body).toBe(201);
    expect((await owner.call('DELETE', `/webhooks/${created.json<{ id: string }>().id}`)).statusCode).toBe(204);
  });

  it('a key without resource scopes lists no event, sees only the test pings of a log, and may still ping', async () => {
    const events = await noResourceScope.call('GET', '/events');
    expect(events.json()).toEqual({ data: [], has_more: false, next_cursor: null });
    const log = (await walk(noResourceScope, `/webhooks/${fenced.id}/deliveries`)).items;
    expect(log.map((row) => row.id)).toEqual([pingDeliveryId]);
    expect((await noResourceScope.call('GET', `/webhook-deliveries/${pingDeliveryId}`)).statusCode).toBe(200);
    const ping = await noResourceScope.call('POST', `/webhooks/${pinged.id}/test`, {});
    expect(ping.statusCode, ping.body).toBe(200);
  });
});

describe('pagination counts only what the key may read (the filter is in SQL)', () => {
  it('events and the delivery log page exactly through the readable types, with has_more and next_cursor right', async () => {
    const agency = await newCaller(t);
    const sub = await createSubscription(agency, { url: `${receiver.url}/paged` });
    // Interleaved, so a page filtered after the fact would come back short or empty.
    for (let round = 0; round < 5; round += 1) {
      for (const type of ['review.created', 'lead.converted', 'sync.failed'] as const) {
        await insertDelivery(t, { agencyId: agency.agency.id, subscriptionId: sub.id, type });
      }
    }
    const reader = callerFor(t, agency.agency, (await createApiKey(t.app, agency.agency.id, { scopes: [...GATE_SCOPES, 'reviews:read'] })).key);
    const expectedEvents = (
      await t.ctx.db.selectFrom('events').select('id').where('agency_id', '=', agency.agency.id).where('type', '=', 'review.created').orderBy('id', 'desc').execute()
    ).map((row) => row.id);
    const expectedDeliveries = (
      await t.ctx.db.selectFrom('webhook_deliveries').select('id').where('subscription_id', '=', sub.id).where('event_type', '=', 'review.created').orderBy('id', 'desc').execute()
    ).map((row) => row.id);
    expect(expectedEvents).toHaveLength(5);
    expect(expectedDeliveries).toHaveLength(5);

    for (const [url, expected] of [['/events', expectedEvents], [`/webhooks/${sub.id}/deliveries`, expectedDeliveries]] as const) {
      const { items, pages } = await walk(reader, url, 2);
      expect(items.map((item) => item.id), url).toEqual(expected);
      expect(pages.map((page) => page.data.length), url).toEqual([2, 2, 1]);
      expect(pages.map((page) => page.has_more), url).toEqual([true, true, false]);
    }
  });
});

describe('portal sessions keep working', () => {
  it('a member (every read scope) reads every type of event and delivery', async () => {
    const email = `member-${Date.now()}@agency.test`;
    const added = await t.app.inject({
      method: 'POST',
      url: `/admin/v1/agencies/${owner.agency.id}/users`,
      headers: adminHeaders,
      payload: { email, password: 'member-password-1', name: 'Mem', role: 'member' },
    });
    expect(added.statusCode, added.body).toBe(201);
    const member = await login(t.app, email, 'member-password-1');
    const listed = await t.app.inject({ method: 'GET', url: '/api/v1/events?limit=100', headers: member.headers });
    expect(listed.statusCode, listed.body).toBe(200);
    const types = new Set(listed.json<Page>().data.map((event) => event.type));
    for (const type of DOMAIN_EVENT_TYPES) {
      expect(types).toContain(type);
      const delivery = await t.app.inject({ method: 'GET', url: `/api/v1/webhook-deliveries/${deliveryIds[type]}`, headers: member.headers });
      expect(delivery.statusCode, delivery.body).toBe(200);
    }
  });

  it('an owner subscribes to "*" and test-sends every type', async () => {
    const session = await login(t.app, owner.agency.email, owner.agency.password);
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: session.headers, payload: { url: `${receiver.url}/owner`, events: ['*'] } });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json<{ id: string }>().id;
    for (const type of SUBSCRIBABLE_EVENT_TYPES) {
      const sent = await t.app.inject({ method: 'POST', url: `/api/v1/webhooks/${id}/test`, headers: session.headers, payload: { event_type: type } });
      expect(sent.statusCode, sent.body).toBe(200);
    }
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${id}`, headers: session.headers })).statusCode).toBe(204);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createManualClock } from '../../src/lib/clock.ts';
import { ids, seedAgency, type Seeded } from './support.ts';

const clock = createManualClock(new Date());
let t: TestApp;
let a: Seeded;
let b: Seeded;

beforeAll(async () => {
  t = await createTestApp({ clock });
  a = await seedAgency(t.app, () => clock.advance(60_000));
  b = await seedAgency(t.app, () => clock.advance(60_000));
});

afterAll(async () => t?.close());

async function list(url: string, seed: Seeded = a): Promise<string[]> {
  const response = await t.app.inject({ url, headers: seed.headers });
  expect(response.statusCode, response.body).toBe(200);
  return ids(response);
}

/** Ids newest first, the order every list answers in. */
const newestFirst = (...values: string[]) => [...values].sort().reverse();

describe('conversations', () => {
  it('location_id', async () => {
    const [north, south] = a.locations as [string, string];
    const [c1, c2, c3] = a.conversations.all as [string, string, string];
    expect(await list(`/api/v1/conversations?location_id=${north}`)).toEqual(newestFirst(c1, c3));
    expect(await list(`/api/v1/conversations?location_id=${south}`)).toEqual([c2]);
  });

  it('status', async () => {
    expect(await list('/api/v1/conversations?status=closed')).toEqual([a.conversations.closed]);
    expect(await list('/api/v1/conversations?status=open')).toEqual(newestFirst(...a.conversations.open));
  });

  it('channel', async () => {
    const [c1, c2, c3] = a.conversations.all as [string, string, string];
    expect(await list('/api/v1/conversations?channel=sms')).toEqual([c1]);
    expect(await list('/api/v1/conversations?channel=email')).toEqual([c2]);
    expect(await list('/api/v1/conversations?channel=webchat')).toEqual([c3]);
    expect(await list('/api/v1/conversations?channel=facebook')).toEqual([]);
  });

  it('updated_since (inclusive, any RFC 3339 offset)', async () => {
    const [, c2, c3] = a.conversations.all as [string, string, string];
    expect(await list(`/api/v1/conversations?updated_since=${a.midpoint}`)).toEqual(newestFirst(c2, c3));
    const sameInstantOtherOffset = new Date(a.midpoint).toISOString().replace('Z', '+00:00');
    expect(await list(`/api/v1/conversations?updated_since=${encodeURIComponent(sameInstantOtherOffset)}`)).toEqual(newestFirst(c2, c3));
    expect(await list(`/api/v1/conversations?updated_since=${encodeURIComponent(clock.now().toISOString())}`)).toEqual([]);
  });

  it('filters combine', async () => {
    const [north] = a.locations as [string];
    expect(await list(`/api/v1/conversations?location_id=${north}&status=open&channel=sms`)).toEqual([a.conversations.all[0]]);
    expect(await list(`/api/v1/conversations?location_id=${north}&channel=email`)).toEqual([]);
  });

  it('messages of one conversation: direction and created_since', async () => {
    const [c1, c2] = a.conversations.all as [string, string];
    const [m1, m2, m3] = a.messages.all as [string, string, string];
    expect(await list(`/api/v1/conversations/${c1}/messages`)).toEqual(newestFirst(m1, m2));
    expect(await list(`/api/v1/conversations/${c1}/messages?direction=inbound`)).toEqual([m1]);
    expect(await list(`/api/v1/conversations/${c1}/messages?direction=outbound`)).toEqual([m2]);
    expect(await list(`/api/v1/conversations/${c2}/messages?created_since=${a.midpoint}`)).toEqual([m3]);
    expect(await list(`/api/v1/conversations/${c1}/messages?created_since=${a.midpoint}`)).toEqual([]);
  });
});

describe('messages', () => {
  it('conversation_id', async () => {
    const [c1, c2, c3] = a.conversations.all as [string, string, string];
    const [m1, m2, m3] = a.messages.all as [string, string, string];
    expect(await list(`/api/v1/messages?conversation_id=${c1}`)).toEqual(newestFirst(m1, m2));
    expect(await list(`/api/v1/messages?conversation_id=${c2}`)).toEqual([m3]);
    expect(await list(`/api/v1/messages?conversation_id=${c3}`)).toEqual([]);
  });

  it('direction', async () => {
    expect(await list('/api/v1/messages?direction=inbound')).toEqual(newestFirst(...a.messages.inbound));
    expect(await list('/api/v1/messages?direction=outbound')).toEqual(a.messages.outbound);
  });

  it('created_since', async () => {
    expect(await list(`/api/v1/messages?created_since=${a.midpoint}`)).toEqual([a.messages.all[2]]);
    expect(await list('/api/v1/messages?created_since=2000-01-01T00:00:00Z')).toEqual(newestFirst(...a.messages.all));
  });
});

describe('reviews', () => {
  it('location_id', async () => {
    const [r1, r2, r3] = a.reviews as [string, string, string];
    expect(await list(`/api/v1/reviews?location_id=${a.locations[0]}`)).toEqual(newestFirst(r1, r3));
    expect(await list(`/api/v1/reviews?location_id=${a.locations[1]}`)).toEqual([r2]);
  });

  it('source', async () => {
    const [r1, r2, r3] = a.reviews as [string, string, string];
    expect(await list('/api/v1/reviews?source=google')).toEqual([r1]);
    expect(await list('/api/v1/reviews?source=yelp')).toEqual([r2]);
    expect(await list('/api/v1/reviews?source=facebook')).toEqual([r3]);
  });

  it('rating, every value 1–5', async () => {
    const [r1, r2, r3] = a.reviews as [string, string, string];
    const expected: Record<number, string[]> = { 1: [], 2: [r2], 3: [], 4: [r3], 5: [r1] };
    for (const rating of [1, 2, 3, 4, 5]) expect(await list(`/api/v1/reviews?rating=${rating}`)).toEqual(expected[rating]);
  });

  it('created_since, and combined with source', async () => {
    const [, r2, r3] = a.reviews as [string, string, string];
    expect(await list(`/api/v1/reviews?created_since=${a.midpoint}`)).toEqual(newestFirst(r2, r3));
    expect(await list(`/api/v1/reviews?created_since=${a.midpoint}&source=yelp`)).toEqual([r2]);
  });
});

describe('leads', () => {
  it('location_id', async () => {
    const [l1, l2, l3] = a.leads as [string, string, string];
    expect(await list(`/api/v1/leads?location_id=${a.locations[0]}`)).toEqual(newestFirst(l1, l3));
    expect(await list(`/api/v1/leads?location_id=${a.locations[1]}`)).toEqual([l2]);
  });

  it('status', async () => {
    const [l1, l2, l3] = a.leads as [string, string, string];
    expect(await list('/api/v1/leads?status=new')).toEqual([l1]);
    expect(await list('/api/v1/leads?status=qualified')).toEqual([l2]);
    expect(await list('/api/v1/leads?status=converted')).toEqual([l3]);
    expect(await list('/api/v1/leads?status=lost')).toEqual([]);
  });

  it('updated_since follows updates, not creation', async () => {
    const [l1, l2, l3] = a.leads as [string, string, string];
    expect(await list(`/api/v1/leads?updated_since=${a.midpoint}`)).toEqual(newestFirst(l2, l3));
    const since = new Date(clock.now().getTime() + 1000).toISOString();
    clock.advance(5000);
    const patched = await t.app.inject({ method: 'PATCH', url: `/api/v1/leads/${l1}`, headers: a.headers, payload: { status: 'contacted' } });
    expect(patched.statusCode).toBe(200);
    expect(await list(`/api/v1/leads?updated_since=${since}`)).toEqual([l1]);
    expect(await list('/api/v1/leads?status=contacted')).toEqual([l1]);
  });
});

describe('filters never cross agencies', () => {
  it("another agency's location or conversation id matches nothing", async () => {
    expect(await list(`/api/v1/conversations?location_id=${a.locations[0]}`, b)).toEqual([]);
    expect(await list(`/api/v1/reviews?location_id=${a.locations[0]}`, b)).toEqual([]);
    expect(await list(`/api/v1/leads?location_id=${a.locations[0]}`, b)).toEqual([]);
    expect(await list(`/api/v1/messages?conversation_id=${a.conversations.all[0]}`, b)).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createAgency, simulate } from '../support/fixtures.ts';
import { ApiError } from '../../src/kit/errors.ts';

const page = { limit: 100 };

let t: TestApp;
let a: string;
let b: string;
/** Ids of agency A's rows, one of each resource. */
const rows = { location: '', conversation: '', message: '', review: '', lead: '' };

beforeAll(async () => {
  t = await createTestApp();
  a = (await createAgency(t.app)).id;
  b = (await createAgency(t.app)).id;
  rows.conversation = (await simulate(t.app, a, 'conversation.created')).resource.id as string;
  rows.message = (await simulate(t.app, a, 'message.received')).resource.id as string;
  rows.review = (await simulate(t.app, a, 'review.created')).resource.id as string;
  rows.lead = (await simulate(t.app, a, 'lead.converted')).resource.id as string;
  await simulate(t.app, a, 'sync.failed');
  rows.location = (await t.ctx.services.locations.list(a, page)).data[0]!.id;
  // B has data of its own, so "empty" below means filtered, not a table with nothing in it.
  await simulate(t.app, b, 'review.created');
});
afterAll(async () => t.close());

async function expectNotFound(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ApiError);
  expect((error as ApiError).code).toBe('not_found');
}

describe('agency B never sees agency A’s rows', () => {
  it('A sees its own rows (the control)', async () => {
    const { services } = t.ctx;
    expect((await services.locations.get(a, rows.location)).id).toBe(rows.location);
    expect((await services.conversations.get(a, rows.conversation)).id).toBe(rows.conversation);
    expect((await services.messages.get(a, rows.message)).id).toBe(rows.message);
    expect((await services.reviews.get(a, rows.review)).id).toBe(rows.review);
    expect((await services.leads.get(a, rows.lead)).id).toBe(rows.lead);
  });

  it('get by id answers 404 for every resource', async () => {
    const { services } = t.ctx;
    await expectNotFound(services.locations.get(b, rows.location));
    await expectNotFound(services.conversations.get(b, rows.conversation));
    await expectNotFound(services.messages.get(b, rows.message));
    await expectNotFound(services.reviews.get(b, rows.review));
    await expectNotFound(services.leads.get(b, rows.lead));
  });

  it('lists hold none of A’s rows, even filtered by A’s parent ids', async () => {
    const { services } = t.ctx;
    const ids = (list: { data: { id: string }[] }) => list.data.map((item) => item.id);
    const aIds = Object.values(rows);
    const lists = [
      await services.locations.list(b, page),
      await services.conversations.list(b, {}, page),
      await services.conversations.list(b, { location_id: rows.location }, page),
      await services.messages.list(b, {}, page),
      await services.messages.list(b, { conversation_id: rows.conversation }, page),
      await services.reviews.list(b, {}, page),
      await services.reviews.list(b, { location_id: rows.location }, page),
      await services.leads.list(b, {}, page),
      await services.leads.list(b, { location_id: rows.location }, page),
    ];
    for (const list of lists) expect(ids(list).filter((id) => aIds.includes(id))).toEqual([]);
    expect(ids(await services.conversations.list(b, {}, page))).toEqual([]);
    expect(ids(await services.messages.list(b, {}, page))).toEqual([]);
    expect(ids(await services.leads.list(b, {}, page))).toEqual([]);
    expect(ids(await services.reviews.list(b, {}, page))).toHaveLength(1);
  });

  it('B cannot write into A’s rows: each action answers 404 and writes nothing', async () => {
    const { services } = t.ctx;
    const eventsBefore = await t.ctx.db.selectFrom('events').select('id').execute();
    await expectNotFound(services.conversations.create(b, { location_id: rows.location, channel: 'sms', contact: { name: 'Intruder' } }));
    await expectNotFound(services.messages.recordInbound(b, rows.conversation, 'hi from B'));
    await expectNotFound(services.messages.recordOutbound(b, rows.conversation, 'hi from B'));
    await expectNotFound(services.reviews.create(b, { location_id: rows.location, source: 'yelp', rating: 1, author_name: 'B', body: 'x' }));
    await expectNotFound(services.leads.update(b, rows.lead, { status: 'lost' }));
    await expectNotFound(services.sync.recordRun(b, { location_id: rows.location, provider: 'google', started_at: new Date(), error: 'x' }));
    await expect(services.leads.create(b, { location_id: rows.location, name: 'Intruder', source: 'api' })).rejects.toMatchObject({ code: 'validation_failed' });

    expect(await t.ctx.db.selectFrom('events').select('id').execute()).toHaveLength(eventsBefore.length);
    expect((await services.leads.get(a, rows.lead)).status).toBe('converted');
  });

  it('every row and event A’s actions wrote carries A’s agency_id', async () => {
    for (const table of ['locations', 'conversations', 'messages', 'reviews', 'leads', 'sync_runs', 'events'] as const) {
      const owners = await t.ctx.db.selectFrom(table).select('agency_id').distinct().execute();
      expect(owners.map((row) => row.agency_id).every((id) => id === a || id === b)).toBe(true);
    }
    const bEvents = await t.ctx.db.selectFrom('events').select('data').where('agency_id', '=', b).execute();
    expect(bEvents.map((event) => event.data.id).filter((id) => Object.values(rows).includes(id as string))).toEqual([]);
  });
});

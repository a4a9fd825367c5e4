import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transaction } from 'kysely';
import type { DB } from '../../src/db/types.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createAgency } from '../support/fixtures.ts';

let t: TestApp;
let agencyId: string;
let locationId: string;
let conversationId: string;
let leadId: string;
beforeAll(async () => {
  t = await createTestApp();
  agencyId = (await createAgency(t.app)).id;
  const { services } = t.ctx;
  locationId = (await services.locations.create(agencyId, { name: 'Harbor Dental' })).id;
  conversationId = (await services.conversations.create(agencyId, { location_id: locationId, channel: 'sms', contact: { name: 'Ada' } })).conversation.id;
  leadId = (await services.leads.create(agencyId, { location_id: locationId, name: 'Grace', source: 'referral' })).lead.id;
});
afterAll(async () => t.close());

class Rollback extends Error {}

/** Run `action` inside a transaction that then fails; return what the action returned. */
async function rolledBack<T>(action: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  let result: T | undefined;
  await expect(
    t.ctx.db.transaction().execute(async (trx) => {
      result = await action(trx);
      throw new Rollback('after the action, before commit');
    }),
  ).rejects.toBeInstanceOf(Rollback);
  return result as T;
}

async function rowExists(table: 'conversations' | 'messages' | 'reviews' | 'sync_runs' | 'leads', id: string): Promise<boolean> {
  return (await t.ctx.db.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}
async function eventExists(id: string): Promise<boolean> {
  return (await t.ctx.db.selectFrom('events').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

describe('a rolled-back domain action leaves neither the row nor the event', () => {
  it('conversation.created', async () => {
    const { conversation, eventId } = await rolledBack((trx) =>
      t.ctx.services.conversations.create(agencyId, { location_id: locationId, channel: 'webchat', contact: { name: 'Rolled Back' } }, trx),
    );
    expect(await rowExists('conversations', conversation.id)).toBe(false);
    expect(await eventExists(eventId)).toBe(false);
  });

  it('message.received (and the conversation keeps its last_message_at)', async () => {
    const before = await t.ctx.services.conversations.get(agencyId, conversationId);
    const { message, eventId } = await rolledBack((trx) => t.ctx.services.messages.recordInbound(agencyId, conversationId, 'hello?', trx));
    expect(await rowExists('messages', message.id)).toBe(false);
    expect(await eventExists(eventId)).toBe(false);
    expect(await t.ctx.services.conversations.get(agencyId, conversationId)).toEqual(before);
  });

  it('review.created', async () => {
    const { review, eventId } = await rolledBack((trx) =>
      t.ctx.services.reviews.create(agencyId, { location_id: locationId, source: 'google', rating: 2, author_name: 'Rolled Back', body: 'meh' }, trx),
    );
    expect(await rowExists('reviews', review.id)).toBe(false);
    expect(await eventExists(eventId)).toBe(false);
  });

  it('lead.converted (the lead stays unconverted)', async () => {
    const { lead, eventId } = await rolledBack((trx) => t.ctx.services.leads.update(agencyId, leadId, { status: 'converted', value: 450 }, trx));
    expect(lead.status).toBe('converted');
    expect(eventId).not.toBeNull();
    expect(await eventExists(eventId!)).toBe(false);
    expect((await t.ctx.services.leads.get(agencyId, leadId)).status).toBe('new');
  });

  it('sync.failed', async () => {
    const { syncRun, eventId } = await rolledBack((trx) =>
      t.ctx.services.sync.recordRun(agencyId, { location_id: locationId, provider: 'yelp', started_at: new Date(), error: 'token expired' }, trx),
    );
    expect(await rowExists('sync_runs', syncRun.id)).toBe(false);
    expect(await eventExists(eventId!)).toBe(false);
  });

  it('several actions in one transaction roll back together', async () => {
    const ids = await rolledBack(async (trx) => {
      const location = await t.ctx.services.locations.create(agencyId, { name: 'Never Was' }, trx);
      const { conversation, eventId } = await t.ctx.services.conversations.create(agencyId, { location_id: location.id, channel: 'email', contact: { name: 'Nobody' } }, trx);
      return { location: location.id, conversation: conversation.id, eventId };
    });
    expect(await t.ctx.db.selectFrom('locations').select('id').where('id', '=', ids.location).executeTakeFirst()).toBeUndefined();
    expect(await rowExists('conversations', ids.conversation)).toBe(false);
    expect(await eventExists(ids.eventId)).toBe(false);
  });

  it('and the same actions, committed, leave both', async () => {
    const { conversation, eventId } = await t.ctx.services.conversations.create(agencyId, { location_id: locationId, channel: 'sms', contact: { name: 'Kept' } });
    expect(await rowExists('conversations', conversation.id)).toBe(true);
    const event = await t.ctx.db.selectFrom('events').selectAll().where('id', '=', eventId).executeTakeFirstOrThrow();
    expect(event).toMatchObject({ agency_id: agencyId, type: 'conversation.created', data: conversation });
  });
});

describe('lead.converted is raised exactly once per lead', () => {
  async function convertedEvents(id: string) {
    const events = await t.ctx.db.selectFrom('events').select('data').where('type', '=', 'lead.converted').where('agency_id', '=', agencyId).execute();
    return events.filter((event) => event.data.id === id);
  }

  it('converting an already converted lead raises nothing', async () => {
    const { lead } = await t.ctx.services.leads.create(agencyId, { location_id: locationId, name: 'Twice', source: 'referral', status: 'qualified' });
    const first = await t.ctx.services.leads.update(agencyId, lead.id, { status: 'converted', value: 300 });
    const second = await t.ctx.services.leads.update(agencyId, lead.id, { status: 'converted', value: 350 });
    expect(first.eventId).not.toBeNull();
    expect(second.eventId).toBeNull();
    expect(second.lead.converted_at).toBe(first.lead.converted_at);
    expect(await convertedEvents(lead.id)).toHaveLength(1);
  });

  it('two conversions racing each other raise one event', async () => {
    const { lead } = await t.ctx.services.leads.create(agencyId, { location_id: locationId, name: 'Race', source: 'google_ads' });
    const results = await Promise.all([
      t.ctx.services.leads.update(agencyId, lead.id, { status: 'converted' }),
      t.ctx.services.leads.update(agencyId, lead.id, { status: 'converted' }),
    ]);
    expect(results.filter((result) => result.eventId !== null)).toHaveLength(1);
    expect(await convertedEvents(lead.id)).toHaveLength(1);
  });

  it('a lead created already converted raises it once, and updating notes raises nothing more', async () => {
    const { lead, eventId } = await t.ctx.services.leads.create(agencyId, { location_id: locationId, name: 'Born Converted', source: 'phone_call', status: 'converted', value: 99.5 });
    expect(eventId).not.toBeNull();
    await t.ctx.services.leads.update(agencyId, lead.id, { notes: 'paid in full' });
    expect(await convertedEvents(lead.id)).toHaveLength(1);
  });

  it('a lead that leaves converted and comes back raises a second conversion', async () => {
    const { lead } = await t.ctx.services.leads.create(agencyId, { location_id: locationId, name: 'Back Again', source: 'referral' });
    await t.ctx.services.leads.update(agencyId, lead.id, { status: 'converted' });
    const lost = await t.ctx.services.leads.update(agencyId, lead.id, { status: 'lost' });
    expect(lost.lead.converted_at).toBeNull();
    await t.ctx.services.leads.update(agencyId, lead.id, { status: 'converted' });
    expect(await convertedEvents(lead.id)).toHaveLength(2);
  });
});

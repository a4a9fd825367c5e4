import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { adminHeaders, createAgency, simulate } from '../support/fixtures.ts';
import { SIMULATED_EVENTS } from '../../src/domains/simulation/service.ts';
import { expectProblem } from '../support/problem.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

const TABLE_OF = {
  'conversation.created': { table: 'conversations', prefix: 'conv_', object: 'conversation' },
  'message.received': { table: 'messages', prefix: 'msg_', object: 'message' },
  'review.created': { table: 'reviews', prefix: 'rev_', object: 'review' },
  'lead.converted': { table: 'leads', prefix: 'lead_', object: 'lead' },
  'sync.failed': { table: 'sync_runs', prefix: 'sync_', object: 'sync_run' },
} as const;

async function locationCount(agencyId: string): Promise<number> {
  return (await t.ctx.db.selectFrom('locations').select('id').where('agency_id', '=', agencyId).execute()).length;
}

describe('POST /admin/v1/agencies/:id/simulate', () => {
  it.each(SIMULATED_EVENTS)('%s writes the resource and its event, with the same data', async (type) => {
    const agency = await createAgency(t.app);
    expect(await locationCount(agency.id)).toBe(0);

    const { event_id, resource } = await simulate(t.app, agency.id, type);
    const { table, prefix, object } = TABLE_OF[type];
    expect(event_id).toMatch(/^evt_/);
    expect(resource).toMatchObject({ id: expect.stringMatching(new RegExp(`^${prefix}`)), object });

    const row = await t.ctx.db.selectFrom(table).select(['id', 'agency_id']).where('id', '=', resource.id as string).executeTakeFirst();
    expect(row).toEqual({ id: resource.id, agency_id: agency.id });

    const event = await t.ctx.db.selectFrom('events').selectAll().where('id', '=', event_id).executeTakeFirstOrThrow();
    expect(event).toMatchObject({ agency_id: agency.id, type, dispatched_at: null });
    expect(event.data).toEqual(resource);

    // The agency had no location, so one was created first; it is reused afterwards.
    expect(await locationCount(agency.id)).toBe(1);
    await simulate(t.app, agency.id, type);
    expect(await locationCount(agency.id)).toBe(1);
  });

  it('renders each resource as the event data the public API will show', async () => {
    const agency = await createAgency(t.app);
    const review = (await simulate(t.app, agency.id, 'review.created')).resource;
    expect(review).toMatchObject({ source: expect.stringMatching(/^(google|facebook|yelp)$/), rating: expect.any(Number), published_at: expect.any(String) });
    const lead = (await simulate(t.app, agency.id, 'lead.converted')).resource;
    expect(lead).toMatchObject({ status: 'converted', converted_at: expect.any(String), value: expect.any(Number) });
    const sync = (await simulate(t.app, agency.id, 'sync.failed')).resource;
    expect(sync).toMatchObject({ status: 'failed', error: expect.any(String), finished_at: expect.any(String) });
  });

  it('records an inbound message into an existing open conversation and bumps it', async () => {
    const agency = await createAgency(t.app);
    const conversation = (await simulate(t.app, agency.id, 'conversation.created')).resource;
    const message = (await simulate(t.app, agency.id, 'message.received')).resource;
    expect(message).toMatchObject({ conversation_id: conversation.id, direction: 'inbound', status: 'received' });
    const row = await t.ctx.db.selectFrom('conversations').select('last_message_at').where('id', '=', conversation.id as string).executeTakeFirstOrThrow();
    expect(row.last_message_at?.toISOString()).toBe(message.created_at);
  });

  it('opens a conversation first (with its own event) when the agency has none for a message', async () => {
    const agency = await createAgency(t.app);
    const { resource } = await simulate(t.app, agency.id, 'message.received');
    const types = (await t.ctx.db.selectFrom('events').select('type').where('agency_id', '=', agency.id).orderBy('id').execute()).map((e) => e.type);
    expect(types).toEqual(['conversation.created', 'message.received']);
    const conversation = await t.ctx.services.conversations.get(agency.id, resource.conversation_id as string);
    expect(conversation.status).toBe('open');
  });

  it('converts a different lead each time, one event per conversion', async () => {
    const agency = await createAgency(t.app);
    const first = await simulate(t.app, agency.id, 'lead.converted');
    const second = await simulate(t.app, agency.id, 'lead.converted');
    expect(second.resource.id).not.toBe(first.resource.id);
    const events = await t.ctx.db.selectFrom('events').select('data').where('agency_id', '=', agency.id).where('type', '=', 'lead.converted').execute();
    expect(events.map((e) => e.data.id).sort()).toEqual([first.resource.id, second.resource.id].sort());
  });

  it('refuses an unknown event type with 400 naming body.event, and writes nothing', async () => {
    const agency = await createAgency(t.app);
    const response = await t.app.inject({ method: 'POST', url: `/admin/v1/agencies/${agency.id}/simulate`, headers: adminHeaders, payload: { event: 'lead.created' } });
    const problem = expectProblem(response, 400, 'validation_failed');
    expect(problem.errors?.[0]?.path).toBe('body.event');
    expect(await locationCount(agency.id)).toBe(0);
  });
});

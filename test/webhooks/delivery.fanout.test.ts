import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgency, simulate } from '../support/fixtures.ts';
import { isId } from '../../src/lib/ids.ts';
import { buildEventPayload } from '../../src/domains/events/catalog.ts';
import { createDispatcher } from '../../src/domains/webhooks/delivery/dispatcher.ts';
import { addSubscription, deliveriesOf, deliverySetup, silentLogger, type DeliverySetup } from './delivery-harness.ts';

describe('webhook fan-out: outbox → deliveries', () => {
  let s: DeliverySetup;

  beforeAll(async () => {
    s = await deliverySetup();
  });
  afterAll(async () => s?.t.close());

  it('makes one delivery per enabled subscription whose events match, ["*"] matching every type', async () => {
    const url = 'https://hooks.example.com/fanout';
    const reviews = await addSubscription(s.t, s.agency.id, { url, events: ['review.created'] });
    const reviewsAndLeads = await addSubscription(s.t, s.agency.id, { url, events: ['lead.converted', 'review.created'] });
    const everything = await addSubscription(s.t, s.agency.id, { url, events: ['*'] });
    const leadsOnly = await addSubscription(s.t, s.agency.id, { url, events: ['lead.converted'] });
    const disabled = await addSubscription(s.t, s.agency.id, { url, events: ['*'], enabled: false });
    const deleted = await addSubscription(s.t, s.agency.id, { url, events: ['*'], deleted: true });
    const otherAgency = await createAgency(s.t.app, { tier: 'scale' });
    const foreign = await addSubscription(s.t, otherAgency.id, { url, events: ['*'] });

    const { event_id } = await simulate(s.t.app, s.agency.id, 'review.created');
    const dispatched = await s.dispatcher.runOnce();
    expect(dispatched).toBeGreaterThanOrEqual(1); // the simulation may raise a location event first

    for (const sub of [reviews, reviewsAndLeads, everything]) {
      const rows = (await deliveriesOf(s.t, sub.id)).filter((d) => d.event_id === event_id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'pending', attempts: 0, event_type: 'review.created', agency_id: s.agency.id, is_test: false });
      expect(isId('whdel', rows[0]!.id)).toBe(true);
      expect(rows[0]!.next_attempt_at).toEqual(s.clock.now());
    }
    for (const sub of [leadsOnly, disabled, deleted, foreign]) expect(await deliveriesOf(s.t, sub.id)).toHaveLength(0);

    const event = await s.t.ctx.db.selectFrom('events').selectAll().where('id', '=', event_id).executeTakeFirstOrThrow();
    expect(event.dispatched_at).toEqual(s.clock.now());
    const [delivery] = await deliveriesOf(s.t, everything.id);
    expect(delivery!.payload).toBe(buildEventPayload(event));
  });

  it('fans an event out once, even when asked again', async () => {
    const sub = await addSubscription(s.t, s.agency.id, { url: 'https://hooks.example.com/once', events: ['sync.failed'] });
    const { event_id } = await simulate(s.t.app, s.agency.id, 'sync.failed');
    await s.dispatcher.runOnce();
    expect(await s.dispatcher.runOnce()).toBe(0);
    // Even if an event were marked undispatched again, the (event, subscription) key holds.
    await s.t.ctx.db.updateTable('events').set({ dispatched_at: null }).where('id', '=', event_id).execute();
    expect(await s.dispatcher.runOnce()).toBe(1);
    expect((await deliveriesOf(s.t, sub.id)).filter((d) => d.event_id === event_id)).toHaveLength(1);
  });

  it('loses no event committed before a crash: the next dispatcher to start fans it out', async () => {
    const sub = await addSubscription(s.t, s.agency.id, { url: 'https://hooks.example.com/after-crash', events: ['lead.converted'] });
    // Committed, and the process "dies" before any dispatcher ran.
    const { event_id } = await simulate(s.t.app, s.agency.id, 'lead.converted');
    const pending = await s.t.ctx.db.selectFrom('events').select('dispatched_at').where('id', '=', event_id).executeTakeFirstOrThrow();
    expect(pending.dispatched_at).toBeNull();

    const restarted = createDispatcher({ db: s.t.ctx.db, database: s.t.database, clock: s.clock, config: s.t.ctx.config, logger: silentLogger });
    await restarted.runOnce();
    expect((await deliveriesOf(s.t, sub.id)).map((d) => d.event_id)).toEqual([event_id]);
  });

  it('works through a backlog larger than one batch', async () => {
    const sub = await addSubscription(s.t, s.agency.id, { url: 'https://hooks.example.com/backlog', events: ['message.received'] });
    const small = createDispatcher({ db: s.t.ctx.db, database: s.t.database, clock: s.clock, config: s.t.ctx.config, logger: silentLogger, batchSize: 3 });
    for (let i = 0; i < 7; i++) await simulate(s.t.app, s.agency.id, 'message.received');
    expect(await small.runOnce()).toBeGreaterThanOrEqual(7);
    expect(await deliveriesOf(s.t, sub.id)).toHaveLength(7);
    const left = await s.t.ctx.db.selectFrom('events').select('id').where('dispatched_at', 'is', null).execute();
    expect(left).toHaveLength(0);
  });
});

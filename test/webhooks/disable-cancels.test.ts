import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulate } from '../support/fixtures.ts';
import { createDispatcher } from '../../src/domains/webhooks/delivery/dispatcher.ts';
import { deliveriesOf, silentLogger } from './delivery-harness.ts';
import { createSubscription, createTestApp, newCaller } from './support.ts';
import type { TestApp } from '../support/app.ts';

describe('disabling a subscription', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('cancels its queued deliveries at once; enabling it again sends none of them until recovered', async () => {
    const caller = await newCaller(t);
    const sub = await createSubscription(caller, { url: 'http://127.0.0.1:9/never-reached', events: ['review.created'] });
    for (let i = 0; i < 3; i++) await simulate(t.app, caller.agency.id, 'review.created');
    const deps = { db: t.ctx.db, database: t.database, clock: t.ctx.clock, config: t.ctx.config, logger: silentLogger };
    await createDispatcher(deps).runOnce();
    expect((await deliveriesOf(t, sub.id)).map((d) => d.status)).toEqual(['pending', 'pending', 'pending']);

    expect((await caller.call('PATCH', `/webhooks/${sub.id}`, { enabled: false })).statusCode).toBe(200);
    const cancelled = await deliveriesOf(t, sub.id);
    expect(cancelled.map((d) => [d.status, d.next_attempt_at, d.last_error])).toEqual(
      Array.from({ length: 3 }, () => ['cancelled', null, 'Cancelled: the subscription was disabled.']),
    );

    expect((await caller.call('PATCH', `/webhooks/${sub.id}`, { enabled: true })).statusCode).toBe(200);
    expect((await deliveriesOf(t, sub.id)).map((d) => d.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);

    const since = new Date(t.ctx.clock.now().getTime() - 3600_000).toISOString();
    const recovered = await caller.call('POST', `/webhooks/${sub.id}/recover`, { since });
    expect(recovered.json()).toEqual({ requeued: 3 });
    expect((await deliveriesOf(t, sub.id)).map((d) => d.status)).toEqual(['pending', 'pending', 'pending']);
  });
});

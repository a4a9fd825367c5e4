import { randomInt } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import { createManualClock, type Clock } from '../../lib/clock.ts';
import { findUserByEmail } from '../agencies/repository.ts';
import { createAgencyService } from '../agencies/service.ts';
import { createResourceServices } from '../../services.ts';
import { markAgencyEventsDispatched } from '../events/repository.ts';
import * as fake from './fake-data.ts';

export const DEMO_EMAIL = 'admin@demo.faro.test';
export const DEMO_AGENCY_NAME = 'Harbor Health Group';

const DAY = 24 * 3600_000;

/**
 * Create the demo agency (scale tier) with three locations and a month of conversations,
 * messages, reviews and leads, unless it exists already. The services run on a clock walked
 * forward through the 30 days before `clock`'s now, so timestamps and time-ordered ids look like
 * real history.
 */
export async function seedDemo(db: Kysely<DB>, password: string, clock: Clock): Promise<{ created: boolean; agencyId: string }> {
  const existing = await findUserByEmail(db, DEMO_EMAIL);
  if (existing) return { created: false, agencyId: existing.agency_id };

  const history = createManualClock(new Date(clock.now().getTime() - 30 * DAY));
  const services = createResourceServices({ db, clock: history });
  let agency;
  try {
    ({ agency } = await createAgencyService({ db, clock: history }).createAgency({
      name: DEMO_AGENCY_NAME,
      tier: 'scale',
      admin_email: DEMO_EMAIL,
      admin_password: password,
    }));
  } catch (error) {
    // Replicas starting together on one database race here; the loser's transaction left nothing.
    const winner = await findUserByEmail(db, DEMO_EMAIL);
    if (winner) return { created: false, agencyId: winner.agency_id };
    throw error;
  }
  const locations = [];
  for (const location of fake.DEMO_LOCATIONS) {
    locations.push(await services.locations.create(agency.id, location));
    history.advance(randomInt(60_000, 3600_000));
  }
  const step = () => history.advance(randomInt(2, 10) * 3600_000);
  for (let day = 0; day < 28; day++) {
    for (const location of locations) {
      if (randomInt(3) === 0) {
        const { conversation } = await services.conversations.create(agency.id, {
          location_id: location.id,
          channel: fake.fakeChannel(),
          contact: fake.fakePerson(),
        });
        await services.messages.recordInbound(agency.id, conversation.id, fake.fakeInbound());
        history.advance(randomInt(5, 40) * 60_000);
        await services.messages.recordOutbound(agency.id, conversation.id, fake.fakeOutbound());
      }
      if (randomInt(4) === 0) {
        const [rating, body] = fake.fakeReview();
        await services.reviews.create(agency.id, {
          location_id: location.id,
          source: fake.pick(['google', 'facebook', 'yelp'] as const),
          rating,
          body,
          author_name: fake.fakePerson().name,
          published_at: new Date(history.now().getTime() - randomInt(1, 6) * 3600_000),
        });
      }
      if (randomInt(4) === 0) {
        const { lead } = await services.leads.create(agency.id, { location_id: location.id, ...fake.fakePerson(), source: fake.fakeLeadSource() });
        if (randomInt(3) === 0) await services.leads.update(agency.id, lead.id, { status: 'converted', value: fake.fakeLeadValue() });
      }
    }
    if (day % 9 === 4) {
      const location = fake.pick(locations);
      const failed = day % 2 === 0;
      await services.sync.recordRun(agency.id, {
        location_id: location.id,
        provider: fake.fakeProvider(),
        started_at: new Date(history.now().getTime() - 40_000),
        error: failed ? fake.fakeSyncError() : null,
      });
    }
    step();
  }
  // Historical demo events predate any subscription: mark them dispatched so nothing fans out.
  await markAgencyEventsDispatched(db, agency.id, clock.now());
  return { created: true, agencyId: agency.id };
}

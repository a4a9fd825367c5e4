import { randomInt } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB, Executor } from '../../db/types.ts';
import { createManualClock, type Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { notFound } from '../../kit/errors.ts';
import { findAgency, findSandbox, insertSandbox, type AgencyRow } from '../agencies/repository.ts';
import { markAgencyEventsDispatched } from '../events/repository.ts';
import type { createLocationService } from '../locations/service.ts';
import type { createConversationService } from '../conversations/service.ts';
import type { createMessageService } from '../messages/service.ts';
import type { createReviewService } from '../reviews/service.ts';
import type { createLeadService } from '../leads/service.ts';
import * as fake from '../simulation/fake-data.ts';

const DAY = 24 * 3600_000;
const SEED_DAYS = 14;

/**
 * Test mode: each live agency has at most one sandbox, an agency row whose `live_agency_id` names
 * it. Everything is scoped by agency id, so a sandbox's keys, data, subscriptions, deliveries,
 * events and audit entries never mix with live ones. It is made on first use, seeded like the demo.
 */
/** The resource services the seed writes through (services.ts's, named here so it need not import the composition root). */
interface SandboxResources {
  locations: ReturnType<typeof createLocationService>;
  conversations: ReturnType<typeof createConversationService>;
  messages: ReturnType<typeof createMessageService>;
  reviews: ReturnType<typeof createReviewService>;
  leads: ReturnType<typeof createLeadService>;
}

export function createSandboxService(deps: { db: Kysely<DB>; clock: Clock; resourcesAt(clock: Clock): SandboxResources }) {
  const { db, clock } = deps;

  /** Two weeks of realistic history, written through the domain services in the caller's transaction. */
  async function seed(trx: Executor, agencyId: string): Promise<void> {
    const history = createManualClock(new Date(clock.now().getTime() - SEED_DAYS * DAY));
    const services = deps.resourcesAt(history);
    const locations = [];
    for (const location of fake.DEMO_LOCATIONS) {
      locations.push(await services.locations.create(agencyId, location, trx));
      history.advance(randomInt(60_000, 3600_000));
    }
    for (let day = 0; day < SEED_DAYS - 1; day++) {
      const location = locations[day % locations.length]!;
      const { conversation } = await services.conversations.create(agencyId, { location_id: location.id, channel: fake.fakeChannel(), contact: fake.fakePerson() }, trx);
      await services.messages.recordInbound(agencyId, conversation.id, fake.fakeInbound(), trx);
      history.advance(randomInt(5, 40) * 60_000);
      await services.messages.recordOutbound(agencyId, conversation.id, fake.fakeOutbound(), trx);
      if (day % 2 === 0) {
        const [rating, body] = fake.fakeReview();
        const source = fake.pick(['google', 'facebook', 'yelp'] as const);
        await services.reviews.create(agencyId, { location_id: location.id, source, rating, body, author_name: fake.fakePerson().name }, trx);
      }
      if (day % 3 === 0) {
        const { lead } = await services.leads.create(agencyId, { location_id: location.id, ...fake.fakePerson(), source: fake.fakeLeadSource() }, trx);
        if (day % 6 === 0) await services.leads.update(agencyId, lead.id, { status: 'converted', value: fake.fakeLeadValue() }, trx);
      }
      history.advance(DAY);
    }
    // Seeded history predates any subscription: nothing of it fans out.
    await markAgencyEventsDispatched(trx, agencyId, clock.now());
  }

  return {
    /** The sandbox of a live agency, made (and seeded, in one transaction) on first use. */
    async ensure(liveAgencyId: string): Promise<AgencyRow> {
      const existing = await findSandbox(db, liveAgencyId);
      if (existing) return existing;
      const live = await findAgency(db, liveAgencyId);
      if (!live || live.live_agency_id !== null) throw notFound('agency');
      await db.transaction().execute(async (trx) => {
        const now = clock.now();
        const created = await insertSandbox(trx, {
          id: newId('agy', now),
          name: `${live.name} (test mode)`,
          tier: live.tier,
          api_rate_limit: live.api_rate_limit,
          max_api_keys: live.max_api_keys,
          live_agency_id: live.id,
          created_at: now,
          updated_at: now,
        });
        // Undefined: a concurrent first use (another request or instance) committed it first.
        if (created) await seed(trx, created.id);
      });
      const sandbox = await findSandbox(db, liveAgencyId);
      if (!sandbox) throw notFound('agency');
      return sandbox;
    },

    /** The sandbox if it exists; never creates one. */
    async find(liveAgencyId: string): Promise<AgencyRow | undefined> {
      return findSandbox(db, liveAgencyId);
    },
  };
}

export type SandboxService = ReturnType<typeof createSandboxService>;

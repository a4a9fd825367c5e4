import type { Kysely, Transaction as KyselyTransaction } from 'kysely';
import type { DB } from '../../db/types.ts';
import { latestOpenConversation } from '../conversations/repository.ts';
import { latestUnconvertedLead } from '../leads/repository.ts';
import { firstLocation } from '../locations/repository.ts';
import { toConversation } from '../conversations/schemas.ts';
import { toLocation } from '../locations/schemas.ts';
import type { Clock } from '../../lib/clock.ts';
import { DOMAIN_EVENT_TYPES, type DomainEventType } from '../events/event-types.ts';
import type { LocationService } from '../locations/service.ts';
import type { ConversationService } from '../conversations/service.ts';
import type { MessageService } from '../messages/service.ts';
import type { ReviewService } from '../reviews/service.ts';
import type { LeadService } from '../leads/service.ts';
import type { SyncService } from '../sync/service.ts';
import * as fake from './fake-data.ts';

type Transaction = KyselyTransaction<DB>;

/** Every event the product raises can be simulated: a new type fails to compile until `simulate` handles it. */
export const SIMULATED_EVENTS = DOMAIN_EVENT_TYPES;
export type SimulatedEvent = DomainEventType;

/** The domain actions a simulation performs: exactly the calls the product makes. */
export interface SimulationDeps {
  db: Kysely<DB>;
  clock: Clock;
  services: {
    locations: Pick<LocationService, 'create'>;
    conversations: Pick<ConversationService, 'create'>;
    messages: Pick<MessageService, 'recordInbound'>;
    reviews: Pick<ReviewService, 'create'>;
    leads: Pick<LeadService, 'create' | 'update'>;
    sync: Pick<SyncService, 'recordRun'>;
  };
}

/**
 * Make a domain event happen for real: the same service calls the product makes, with generated
 * data, in one transaction (a location is created first when the agency has none).
 */
export function createSimulationService({ db, clock, services }: SimulationDeps) {
  async function ensureLocation(trx: Transaction, agencyId: string) {
    const existing = await firstLocation(trx, agencyId);
    if (existing) return toLocation(existing);
    return services.locations.create(agencyId, fake.pick(fake.DEMO_LOCATIONS), trx);
  }

  async function newConversation(trx: Transaction, agencyId: string) {
    const location = await ensureLocation(trx, agencyId);
    const person = fake.fakePerson();
    return services.conversations.create(agencyId, { location_id: location.id, channel: fake.fakeChannel(), contact: person }, trx);
  }

  return {
    async simulate(agencyId: string, event: SimulatedEvent): Promise<{ event_id: string; event_type: SimulatedEvent; resource: Record<string, unknown> }> {
      return db.transaction().execute(async (trx) => {
        switch (event) {
          case 'conversation.created': {
            const { conversation, eventId } = await newConversation(trx, agencyId);
            return { event_id: eventId, event_type: event, resource: conversation };
          }
          case 'message.received': {
            const open = await latestOpenConversation(trx, agencyId);
            const conversation = open ? toConversation(open) : (await newConversation(trx, agencyId)).conversation;
            const { message, eventId } = await services.messages.recordInbound(agencyId, conversation.id, fake.fakeInbound(), trx);
            return { event_id: eventId, event_type: event, resource: message };
          }
          case 'review.created': {
            const location = await ensureLocation(trx, agencyId);
            const [rating, body] = fake.fakeReview();
            const { review, eventId } = await services.reviews.create(
              agencyId,
              { location_id: location.id, source: fake.pick(['google', 'facebook', 'yelp'] as const), rating, body, author_name: fake.fakePerson().name },
              trx,
            );
            return { event_id: eventId, event_type: event, resource: review };
          }
          case 'lead.converted': {
            const location = await ensureLocation(trx, agencyId);
            const pending = await latestUnconvertedLead(trx, agencyId);
            const leadId =
              pending?.id ??
              (await services.leads.create(agencyId, { location_id: location.id, ...fake.fakePerson(), source: fake.fakeLeadSource(), status: 'qualified' }, trx)).lead.id;
            const { lead, eventId } = await services.leads.update(agencyId, leadId, { status: 'converted', value: fake.fakeLeadValue() }, trx);
            return { event_id: eventId as string, event_type: event, resource: lead };
          }
          case 'sync.failed': {
            const location = await ensureLocation(trx, agencyId);
            const { syncRun, eventId } = await services.sync.recordRun(
              agencyId,
              { location_id: location.id, provider: fake.fakeProvider(), started_at: new Date(clock.now().getTime() - 42_000), error: fake.fakeSyncError() },
              trx,
            );
            return { event_id: eventId as string, event_type: event, resource: syncRun };
          }
          default: {
            const unhandled: never = event;
            throw new Error(`simulate: no action for ${String(unhandled)}`);
          }
        }
      });
    },
  };
}

export type SimulationService = ReturnType<typeof createSimulationService>;

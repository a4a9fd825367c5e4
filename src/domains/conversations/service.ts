import type { Kysely } from 'kysely';
import type { DB, Executor } from '../../db/types.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { notFound } from '../../kit/errors.ts';
import { inTransaction } from '../../db/transaction.ts';
import { toPage, type Page, type PageRequest } from '../../kit/pagination.ts';
import { appendEvent } from '../events/repository.ts';
import { findLocation } from '../locations/repository.ts';
import * as repo from './repository.ts';
import { toConversation, type Conversation, type ConversationFilters, type NewConversation } from './schemas.ts';

export function createConversationService({ db, clock }: { db: Kysely<DB>; clock: Clock }) {
  return {
    /** Open a conversation; raises `conversation.created` in the same transaction. */
    async create(agencyId: string, input: NewConversation, executor: Executor = db): Promise<{ conversation: Conversation; eventId: string }> {
      return inTransaction(executor, async (trx) => {
        if (!(await findLocation(trx, agencyId, input.location_id))) throw notFound('location');
        const now = clock.now();
        const row = await repo.insertConversation(trx, {
          id: newId('conv', now),
          agency_id: agencyId,
          location_id: input.location_id,
          channel: input.channel,
          contact_name: input.contact.name,
          contact_phone: input.contact.phone ?? null,
          contact_email: input.contact.email ?? null,
          status: 'open',
          last_message_at: null,
          created_at: now,
          updated_at: now,
        });
        const conversation = toConversation(row);
        const event = await appendEvent(trx, { agencyId, type: 'conversation.created', data: conversation, at: now });
        return { conversation, eventId: event.id };
      });
    },

    async get(agencyId: string, id: string): Promise<Conversation> {
      const row = await repo.findConversation(db, agencyId, id);
      if (!row) throw notFound('conversation');
      return toConversation(row);
    },

    async list(agencyId: string, filters: ConversationFilters, page: PageRequest): Promise<Page<Conversation>> {
      return toPage(await repo.listConversations(db, agencyId, filters, page), page.limit, toConversation);
    },
  };
}

export type ConversationService = ReturnType<typeof createConversationService>;

import type { Kysely } from 'kysely';
import type { DB, Executor } from '../../db/types.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { notFound } from '../../kit/errors.ts';
import { inTransaction } from '../../db/transaction.ts';
import { toPage, type Page, type PageRequest } from '../../kit/pagination.ts';
import { appendEvent } from '../events/repository.ts';
import { findConversation, touchConversation } from '../conversations/repository.ts';
import * as repo from './repository.ts';
import { toMessage, type Message, type MessageFilters } from './schemas.ts';

export function createMessageService({ db, clock }: { db: Kysely<DB>; clock: Clock }) {
  async function record(agencyId: string, conversationId: string, direction: 'inbound' | 'outbound', body: string, executor: Executor) {
    return inTransaction(executor, async (trx) => {
      if (!(await findConversation(trx, agencyId, conversationId))) throw notFound('conversation');
      const now = clock.now();
      const row = await repo.insertMessage(trx, {
        id: newId('msg', now),
        agency_id: agencyId,
        conversation_id: conversationId,
        direction,
        body,
        status: direction === 'inbound' ? 'received' : 'sent',
        sent_at: direction === 'outbound' ? now : null,
        created_at: now,
      });
      await touchConversation(trx, agencyId, conversationId, now);
      const message = toMessage(row);
      if (direction === 'outbound') return { message, eventId: null };
      const event = await appendEvent(trx, { agencyId, type: 'message.received', data: message, at: now });
      return { message, eventId: event.id };
    });
  }

  return {
    /** Record a message from the contact; raises `message.received` in the same transaction. */
    async recordInbound(agencyId: string, conversationId: string, body: string, executor: Executor = db) {
      const result = await record(agencyId, conversationId, 'inbound', body, executor);
      return { message: result.message, eventId: result.eventId as string };
    },

    /** Record a reply sent by the business; no webhook event is defined for it. */
    async recordOutbound(agencyId: string, conversationId: string, body: string, executor: Executor = db): Promise<Message> {
      return (await record(agencyId, conversationId, 'outbound', body, executor)).message;
    },

    async get(agencyId: string, id: string): Promise<Message> {
      const row = await repo.findMessage(db, agencyId, id);
      if (!row) throw notFound('message');
      return toMessage(row);
    },

    async list(agencyId: string, filters: MessageFilters, page: PageRequest): Promise<Page<Message>> {
      return toPage(await repo.listMessages(db, agencyId, filters, page), page.limit, toMessage);
    },
  };
}

export type MessageService = ReturnType<typeof createMessageService>;

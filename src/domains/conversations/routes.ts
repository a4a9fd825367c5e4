import { Type } from 'typebox';
import type { App } from '../../http/app-type.ts';
import { PageSchema, pageRequest } from '../../kit/pagination.ts';
import { ProblemResponses } from '../../http/problem-schema.ts';
import { IdFilter, IdParams, ListQuery, NoQuery, SinceFilter, requireId } from '../../http/public-schemas.ts';
import { MessageSchema } from '../messages/schemas.ts';
import { CHANNELS, ConversationSchema } from './schemas.ts';

const TAGS = ['Conversations'];

const ConversationListQuery = ListQuery({
  location_id: Type.Optional(IdFilter('loc', 'Only conversations of this location.')),
  status: Type.Optional(Type.Enum(['open', 'closed'], { description: 'Only open or only closed conversations.' })),
  channel: Type.Optional(Type.Enum(CHANNELS, { description: 'Only conversations on this channel.' })),
  updated_since: Type.Optional(SinceFilter('Only conversations updated at or after this instant (RFC 3339).')),
});

const ConversationMessagesQuery = ListQuery({
  direction: Type.Optional(Type.Enum(['inbound', 'outbound'], { description: 'Only messages from the contact (inbound) or from the business (outbound).' })),
  created_since: Type.Optional(SinceFilter('Only messages created at or after this instant (RFC 3339).')),
});

/** Public API (mounted under /api/v1): inbox conversations and the messages inside one. */
export async function conversationRoutes(app: App): Promise<void> {
  const { services } = app.ctx;

  app.get('/conversations', {
    config: { scope: 'conversations:read' },
    schema: {
      operationId: 'listConversations',
      summary: 'List conversations',
      description: 'Inbox conversations of the agency, newest first (by creation).',
      tags: TAGS,
      querystring: ConversationListQuery,
      response: { 200: PageSchema(ConversationSchema, 'Conversation'), ...ProblemResponses },
    },
    handler: async (request) => {
      const { limit, cursor, ...filters } = request.query;
      return services.conversations.list(request.auth.agencyId, filters, pageRequest({ limit, cursor }, 'conv'));
    },
  });

  app.get('/conversations/:id', {
    config: { scope: 'conversations:read' },
    schema: {
      operationId: 'getConversation',
      summary: 'Get a conversation',
      tags: TAGS,
      params: IdParams('conv', 'conversation'),
      querystring: NoQuery,
      response: { 200: ConversationSchema, ...ProblemResponses },
    },
    handler: async (request) => services.conversations.get(request.auth.agencyId, requireId('conv', request.params.id, 'conversation')),
  });

  app.get('/conversations/:id/messages', {
    config: { scope: 'messages:read' },
    schema: {
      operationId: 'listConversationMessages',
      summary: 'List the messages of a conversation',
      description: 'Messages of one conversation, newest first. A conversation that is not the agency’s answers 404.',
      tags: TAGS,
      params: IdParams('conv', 'conversation'),
      querystring: ConversationMessagesQuery,
      response: { 200: PageSchema(MessageSchema, 'Message'), ...ProblemResponses },
    },
    handler: async (request) => {
      const { agencyId } = request.auth;
      const conversationId = requireId('conv', request.params.id, 'conversation');
      const { limit, cursor, ...filters } = request.query;
      const page = pageRequest({ limit, cursor }, 'msg');
      await services.conversations.get(agencyId, conversationId);
      return services.messages.list(agencyId, { ...filters, conversation_id: conversationId }, page);
    },
  });
}

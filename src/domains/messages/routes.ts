import { Type } from 'typebox';
import type { App } from '../../http/app-type.ts';
import { PageSchema, pageRequest } from '../../kit/pagination.ts';
import { ProblemResponses } from '../../http/problem-schema.ts';
import { IdFilter, IdParams, ListQuery, NoQuery, SinceFilter, requireId } from '../../http/public-schemas.ts';
import { MessageSchema } from './schemas.ts';

const TAGS = ['Messages'];

const MessageListQuery = ListQuery({
  conversation_id: Type.Optional(IdFilter('conv', 'Only messages of this conversation.')),
  direction: Type.Optional(Type.Enum(['inbound', 'outbound'], { description: 'Only messages from the contact (inbound) or from the business (outbound).' })),
  created_since: Type.Optional(SinceFilter('Only messages created at or after this instant (RFC 3339).')),
});

/** Public API (mounted under /api/v1): messages across all conversations of the agency. */
export async function messageRoutes(app: App): Promise<void> {
  const { services } = app.ctx;

  app.get('/messages', {
    config: { scope: 'messages:read' },
    schema: {
      operationId: 'listMessages',
      summary: 'List messages',
      description: 'Messages of every conversation of the agency, newest first.',
      tags: TAGS,
      querystring: MessageListQuery,
      response: { 200: PageSchema(MessageSchema, 'Message'), ...ProblemResponses },
    },
    handler: async (request) => {
      const { limit, cursor, ...filters } = request.query;
      return services.messages.list(request.auth.agencyId, filters, pageRequest({ limit, cursor }, 'msg'));
    },
  });

  app.get('/messages/:id', {
    config: { scope: 'messages:read' },
    schema: {
      operationId: 'getMessage',
      summary: 'Get a message',
      tags: TAGS,
      params: IdParams('msg', 'message'),
      querystring: NoQuery,
      response: { 200: MessageSchema, ...ProblemResponses },
    },
    handler: async (request) => services.messages.get(request.auth.agencyId, requireId('msg', request.params.id, 'message')),
  });
}

import type { App } from '../../http/app-type.ts';
import { PageSchema, pageRequest } from '../../kit/pagination.ts';
import { ConflictResponse, ProblemResponses } from '../../http/problem-schema.ts';
import { IdParams, ListQuery, NoQuery, requireId } from '../../http/public-schemas.ts';
import { auditActor } from '../audit/service.ts';
import { DeliveryDetailSchema, DeliveryListFilters, DeliverySchema, RecoverBody, RecoverResultSchema } from './schemas.ts';
import { SCOPE_FENCE_NOTE } from '../events/schemas.ts';

const TAGS = ['Webhooks'];

/** Public API (mounted under /api/v1): the delivery log, redelivery and recovery. */
export async function webhookDeliveryRoutes(app: App): Promise<void> {
  const { services } = app.ctx;

  app.get('/webhooks/:id/deliveries', {
    config: { scope: 'webhooks:read' },
    schema: {
      operationId: 'listWebhookDeliveries',
      summary: 'List deliveries of a subscription',
      description:
        `The delivery log of one subscription, newest first, test sends included. Kept for 30 days. ${SCOPE_FENCE_NOTE} ` +
        'The log leaves out the deliveries whose event type needs a resource scope the key lacks (pages and cursors count only the deliveries it may read).',
      tags: TAGS,
      params: IdParams('whsub', 'webhook subscription'),
      querystring: ListQuery(DeliveryListFilters),
      response: { 200: PageSchema(DeliverySchema, 'WebhookDelivery'), ...ProblemResponses },
    },
    handler: async (request) => {
      const { limit, cursor, ...filters } = request.query;
      const id = requireId('whsub', request.params.id, 'webhook subscription');
      return services.webhookDeliveries.list(request.auth, id, filters, pageRequest({ limit, cursor }, 'whdel'));
    },
  });

  app.post('/webhooks/:id/recover', {
    config: { scope: 'webhooks:write' },
    schema: {
      operationId: 'recoverWebhookDeliveries',
      summary: 'Redeliver failed deliveries since a time',
      description:
        'After an outage of your endpoint: puts every delivery of this subscription that failed (ran out of retries, or got 410) or was cancelled when the subscription was disabled, and was created at or after `since`, back in the queue, due now. ' +
        '`since` must be within the last 30 days and not in the future. The subscription must be enabled (409 otherwise).',
      tags: TAGS,
      params: IdParams('whsub', 'webhook subscription'),
      body: RecoverBody,
      response: { 202: RecoverResultSchema, ...ConflictResponse, ...ProblemResponses },
    },
    handler: async (request, reply) => {
      const id = requireId('whsub', request.params.id, 'webhook subscription');
      return reply.code(202).send(await services.webhookDeliveries.recover(request.auth.agencyId, id, request.body.since, auditActor(request.auth, request.id)));
    },
  });

  app.get('/webhook-deliveries/:id', {
    config: { scope: 'webhooks:read' },
    schema: {
      operationId: 'getWebhookDelivery',
      summary: 'Get a delivery with its attempts',
      description:
        `The delivery, the exact payload sent, and every attempt: request headers, response status, headers and body excerpt, or the error. ${SCOPE_FENCE_NOTE} ` +
        'A delivery whose event type needs a resource scope the key lacks answers 403 `insufficient_scope`, naming it in `required_scope`.',
      tags: TAGS,
      params: IdParams('whdel', 'webhook delivery'),
      querystring: NoQuery,
      response: { 200: DeliveryDetailSchema, ...ProblemResponses },
    },
    handler: async (request) => services.webhookDeliveries.get(request.auth, requireId('whdel', request.params.id, 'webhook delivery')),
  });

  app.post('/webhook-deliveries/:id/retry', {
    config: { scope: 'webhooks:write' },
    schema: {
      operationId: 'retryWebhookDelivery',
      summary: 'Redeliver now',
      description:
        'Queues one more attempt of the delivery right away, whatever its state (succeeded, failed, cancelled or waiting for a retry); the `webhook-id` stays the same. ' +
        'A delivery being sent at this very moment is left to finish. The subscription must be enabled (409 otherwise). ' +
        'Like reading it, redelivering needs the read scope of the resource its event type carries (403 `insufficient_scope` otherwise).',
      tags: TAGS,
      params: IdParams('whdel', 'webhook delivery'),
      response: { 202: DeliverySchema, ...ConflictResponse, ...ProblemResponses },
    },
    handler: async (request, reply) => {
      const id = requireId('whdel', request.params.id, 'webhook delivery');
      return reply.code(202).send(await services.webhookDeliveries.retry(request.auth, id, auditActor(request.auth, request.id)));
    },
  });
}

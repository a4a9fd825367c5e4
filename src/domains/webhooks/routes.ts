import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../http/app-type.ts';
import { PageSchema, pageRequest } from '../../kit/pagination.ts';
import { ConflictResponse, ProblemResponses } from '../../http/problem-schema.ts';
import { IdParams, ListQuery, NoQuery, requireId } from '../../http/public-schemas.ts';
import { absentBodyIsEmpty } from '../../http/json-body.ts';
import {
  CreateSubscriptionBody,
  CreatedSubscriptionSchema,
  RotatedSecretSchema,
  SecretSchema,
  SubscriptionSchema,
  TestOutcomeSchema,
  TestSendBody,
  UpdateSubscriptionBody,
} from './schemas.ts';
import { EventTypeListSchema, SCOPE_FENCE_NOTE } from '../events/schemas.ts';
import { webhookDeliveryRoutes } from './delivery-routes.ts';
import { auditActor } from '../audit/service.ts';

export const WEBHOOK_TAGS = ['Webhooks'];
const Params = IdParams('whsub', 'webhook subscription');
const subscriptionId = (request: FastifyRequest<{ Params: { id: string } }>) => requireId('whsub', request.params.id, 'webhook subscription');

const SUBSCRIBE_SCOPE_NOTE =
  `${SCOPE_FENCE_NOTE} Subscribing is reading: each event type of the subscription needs that scope too (\`*\` needs all of them), ` +
  'otherwise 403 `insufficient_scope` naming the missing scopes (`required_scope` the first, `required_scopes` all) and nothing changes.';

const TIER_NOTE = 'Webhooks need the Scale plan or above. An agency that drops below Scale gets no new deliveries until it is back on Scale; its events wait in the queue.';

/** Public API (mounted under /api/v1): webhook subscriptions, their secrets and test sends. */
export async function webhookSubscriptionRoutes(app: App): Promise<void> {
  const { services } = app.ctx;

  app.get('/webhooks/event-types', {
    config: { scope: 'webhooks:read' },
    schema: {
      operationId: 'listWebhookEventTypes',
      summary: 'List event types',
      description: 'Every event type FARO can deliver, with a description and the JSON Schema (and an example) of its request body. `webhook.test` is only sent by test requests.',
      tags: WEBHOOK_TAGS,
      querystring: ListQuery({}),
      response: { 200: EventTypeListSchema, ...ProblemResponses },
    },
    handler: async (request) => services.events.eventTypes(request.query),
  });

  app.get('/webhooks', {
    config: { scope: 'webhooks:read' },
    schema: {
      operationId: 'listWebhookSubscriptions',
      summary: 'List webhook subscriptions',
      description: `The agency's subscriptions, newest first, each with its delivery health over the last 24 hours. ${TIER_NOTE}`,
      tags: WEBHOOK_TAGS,
      querystring: ListQuery({}),
      response: { 200: PageSchema(SubscriptionSchema, 'WebhookSubscription'), ...ProblemResponses },
    },
    handler: async (request) => services.webhooks.list(request.auth.agencyId, pageRequest(request.query, 'whsub')),
  });

  app.post('/webhooks', {
    config: { scope: 'webhooks:write', secret: true },
    schema: {
      operationId: 'createWebhookSubscription',
      summary: 'Create a webhook subscription',
      description:
        'Subscribe a URL to event types. The answer carries the signing secret (`secret`); it can be read again with `GET /webhooks/{id}/secret`. ' +
        'The URL must be https and reach a public address: private, loopback, link-local and metadata addresses are refused (400 `invalid_webhook_url`, with the reason). ' +
        `At most 20 subscriptions per agency (409 beyond). ${SUBSCRIBE_SCOPE_NOTE} ${TIER_NOTE}`,
      tags: WEBHOOK_TAGS,
      body: CreateSubscriptionBody,
      response: { 201: CreatedSubscriptionSchema, ...ConflictResponse, ...ProblemResponses },
    },
    handler: async (request, reply) => reply.code(201).send(await services.webhooks.create(request.auth, request.body, auditActor(request.auth, request.id))),
  });

  app.get('/webhooks/:id', {
    config: { scope: 'webhooks:read' },
    schema: {
      operationId: 'getWebhookSubscription',
      summary: 'Get a webhook subscription',
      tags: WEBHOOK_TAGS,
      params: Params,
      querystring: NoQuery,
      response: { 200: SubscriptionSchema, ...ProblemResponses },
    },
    handler: async (request) => services.webhooks.get(request.auth.agencyId, subscriptionId(request)),
  });

  app.patch('/webhooks/:id', {
    config: { scope: 'webhooks:write' },
    schema: {
      operationId: 'updateWebhookSubscription',
      summary: 'Update a webhook subscription',
      description:
        'Change the URL, the event types, the description, or enable/disable it. Enabling a subscription FARO disabled clears `disabled_reason` and starts afresh. ' +
        `${SUBSCRIBE_SCOPE_NOTE} Changing \`url\` alone needs the scopes of the event types the subscription already has.`,
      tags: WEBHOOK_TAGS,
      params: Params,
      body: UpdateSubscriptionBody,
      response: { 200: SubscriptionSchema, ...ProblemResponses },
    },
    handler: async (request) => services.webhooks.update(request.auth, subscriptionId(request), request.body, auditActor(request.auth, request.id)),
  });

  app.delete('/webhooks/:id', {
    config: { scope: 'webhooks:write' },
    schema: {
      operationId: 'deleteWebhookSubscription',
      summary: 'Delete a webhook subscription',
      description: 'Stops deliveries to it; deliveries still waiting in the queue are cancelled.',
      tags: WEBHOOK_TAGS,
      params: Params,
      response: { 204: Type.Null({ description: 'Deleted.' }), ...ProblemResponses },
    },
    handler: async (request, reply) => {
      await services.webhooks.remove(request.auth.agencyId, subscriptionId(request), auditActor(request.auth, request.id));
      return reply.code(204).send(null);
    },
  });

  app.get('/webhooks/:id/secret', {
    // Reading the secret lets one forge webhooks to the agency's receiver: a write-level power.
    config: { scope: 'webhooks:write', secret: true },
    schema: {
      operationId: 'getWebhookSecret',
      summary: 'Reveal the signing secret',
      description: 'The current signing secret. Needs `webhooks:write`: whoever holds it can sign requests your receiver will trust.',
      tags: WEBHOOK_TAGS,
      params: Params,
      querystring: NoQuery,
      response: { 200: SecretSchema, ...ProblemResponses },
    },
    handler: async (request) => services.webhooks.revealSecret(request.auth.agencyId, subscriptionId(request), auditActor(request.auth, request.id)),
  });

  app.post('/webhooks/:id/rotate-secret', {
    config: { scope: 'webhooks:write', secret: true },
    schema: {
      operationId: 'rotateWebhookSecret',
      summary: 'Rotate the signing secret',
      description:
        'Generates a new secret. For 24 hours every request carries two signatures in `webhook-signature` (new secret first, then the previous one), so receivers keep verifying while they are updated.',
      tags: WEBHOOK_TAGS,
      params: Params,
      response: { 200: RotatedSecretSchema, ...ProblemResponses },
    },
    handler: async (request) => services.webhooks.rotateSecret(request.auth.agencyId, subscriptionId(request), auditActor(request.auth, request.id)),
  });

  app.post('/webhooks/:id/test', {
    config: { scope: 'webhooks:write' },
    preValidation: absentBodyIsEmpty,
    schema: {
      operationId: 'testWebhookSubscription',
      summary: 'Send a test event',
      description:
        'Sends a sample event now, signed like any other, and answers with what the endpoint did. The body may pick the event type (default `webhook.test`, a ping); ' +
        'samples of other types carry example data with fresh ids. The send is recorded in the delivery log (`is_test`) and never retried. Works on disabled subscriptions too. ' +
        'A sample of a type needs the read scope of its resource, as a subscription to it does (403 `insufficient_scope` otherwise; `webhook.test` needs none).',
      tags: WEBHOOK_TAGS,
      params: Params,
      body: TestSendBody,
      response: { 200: TestOutcomeSchema, ...ProblemResponses },
    },
    handler: async (request) => services.webhooks.sendTest(request.auth, subscriptionId(request), request.body.event_type ?? 'webhook.test'),
  });

  await app.register(webhookDeliveryRoutes);
}

import type { FastifyRequest } from 'fastify';
import type { App } from '../../http/app-type.ts';
import { ProblemResponses } from '../../http/problem-schema.ts';
import { requirePortalAdmin, requirePortalSession } from '../../http/portal-auth.ts';
import { absentBodyIsEmpty } from '../../http/json-body.ts';
import { requireIntegrationsTier } from '../agencies/entitlements.ts';
import type { Actor } from './service.ts';
import { MODE_HEADER, requestedMode } from '../testing/mode.ts';
import {
  ApiKeyListSchema,
  ApiKeySchema,
  CreateApiKeyBody,
  EmptyBody,
  KeyIdParams,
  KeyUsageSchema,
  NewApiKeySchema,
  RotateApiKeyBody,
  ScopeListSchema,
} from './schemas.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The agency whose keys a portal request manages: the session's, or its sandbox in test mode. */
    keysAgencyId?: string;
  }
}

const agencyOf = (request: FastifyRequest) => request.keysAgencyId!;
const actorOf = (request: FastifyRequest): Actor => ({ userId: request.portalSession!.user.id, via: 'portal', requestId: request.id });

/** Settings → API in the portal: keys (their audit log is GET /api/v1/audit-events). Every route needs a session on Scale+. */
export async function portalApiKeyRoutes(app: App): Promise<void> {
  const { apiKeys, sessions } = app.ctx.services;
  // onRequest, so a caller without a session (or the plan, or the role) learns nothing about bodies.
  app.addHook('onRequest', requirePortalSession(sessions));
  app.addHook('onRequest', async (request) => requireIntegrationsTier(request.portalSession!.agency.tier, 'API keys', 'your agency'));
  // The test-mode switch (Faro-Mode: test): the same pages manage the sandbox's faro_test_ keys.
  app.addHook('onRequest', async (request, reply) => {
    const live = request.portalSession!.agency.id;
    const mode = requestedMode(request.headers[MODE_HEADER]);
    request.keysAgencyId = mode === 'live' ? live : (await app.ctx.services.sandboxes.ensure(live)).id;
    void reply.header(MODE_HEADER, mode);
  });
  const adminOnly = async (request: FastifyRequest) => requirePortalAdmin(request);
  const hide = true;

  app.get('/portal/api/api-keys', {
    schema: { hide, response: { 200: ApiKeyListSchema, ...ProblemResponses } },
    handler: async (request) => ({ data: await apiKeys.list(agencyOf(request)) }),
  });

  app.get('/portal/api/api-keys/scopes', {
    schema: { hide, response: { 200: ScopeListSchema, ...ProblemResponses } },
    handler: async () => ({ data: apiKeys.scopes() }),
  });

  app.post('/portal/api/api-keys', {
    config: { secret: true },
    schema: { hide, body: CreateApiKeyBody, response: { 201: NewApiKeySchema, ...ProblemResponses } },
    onRequest: adminOnly,
    handler: async (request, reply) => reply.code(201).send(await apiKeys.generate(agencyOf(request), request.body, actorOf(request))),
  });

  app.get('/portal/api/api-keys/:id', {
    schema: { hide, params: KeyIdParams, response: { 200: ApiKeySchema, ...ProblemResponses } },
    handler: async (request) => apiKeys.get(agencyOf(request), request.params.id),
  });

  app.post('/portal/api/api-keys/:id/rotate', {
    config: { secret: true },
    schema: { hide, params: KeyIdParams, body: RotateApiKeyBody, response: { 201: NewApiKeySchema, ...ProblemResponses } },
    onRequest: adminOnly,
    preValidation: absentBodyIsEmpty,
    handler: async (request, reply) =>
      reply.code(201).send(await apiKeys.rotate(agencyOf(request), request.params.id, request.body, actorOf(request))),
  });

  app.post('/portal/api/api-keys/:id/revoke', {
    schema: { hide, params: KeyIdParams, body: EmptyBody, response: { 200: ApiKeySchema, ...ProblemResponses } },
    onRequest: adminOnly,
    preValidation: absentBodyIsEmpty,
    handler: async (request) => apiKeys.revoke(agencyOf(request), request.params.id, actorOf(request)),
  });

  app.get('/portal/api/api-keys/:id/usage', {
    schema: { hide, params: KeyIdParams, response: { 200: KeyUsageSchema, ...ProblemResponses } },
    handler: async (request) => apiKeys.usage(agencyOf(request), request.params.id),
  });
}

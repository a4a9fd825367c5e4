import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../http/app-type.ts';
import { operatorRoutesOnly } from '../../http/admin-auth.ts';
import { ProblemResponses } from '../../http/problem-schema.ts';
import type { Actor } from './service.ts';
import { absentBodyIsEmpty } from '../../http/json-body.ts';
import { ApiKeySchema, CreateApiKeyBody, EmptyBody, NewApiKeySchema } from './schemas.ts';

const AgencyParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const AgencyKeyParams = Type.Object({ id: Type.String({ maxLength: 64 }), key_id: Type.String({ maxLength: 64 }) });
const operator = (request: FastifyRequest): Actor => ({ userId: null, via: 'operator', requestId: request.id });

/** Operator API for API keys: FARO staff generate a key for an agency, or revoke one. */
export async function adminApiKeyRoutes(app: App): Promise<void> {
  const { services } = app.ctx;
  operatorRoutesOnly(app);

  app.post('/admin/v1/agencies/:id/api-keys', {
    config: { secret: true },
    schema: { hide: true, params: AgencyParams, body: CreateApiKeyBody, response: { 201: NewApiKeySchema, ...ProblemResponses } },
    handler: async (request, reply) => reply.code(201).send(await services.apiKeys.generate(request.params.id, request.body, operator(request))),
  });

  app.post('/admin/v1/agencies/:id/api-keys/:key_id/revoke', {
    schema: { hide: true, params: AgencyKeyParams, body: EmptyBody, response: { 200: ApiKeySchema, ...ProblemResponses } },
    preValidation: absentBodyIsEmpty,
    handler: async (request) => services.apiKeys.revoke(request.params.id, request.params.key_id, operator(request)),
  });
}

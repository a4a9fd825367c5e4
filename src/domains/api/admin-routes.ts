import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../http/app-type.ts';
import { operatorRoutesOnly } from '../../http/admin-auth.ts';
import { ProblemResponses } from '../../http/problem-schema.ts';
import type { Actor } from './service.ts';
import { absentBodyIsEmpty } from '../../http/json-body.ts';
import { AdminCreateApiKeyBody, ApiKeySchema, EmptyBody, NewApiKeySchema } from './schemas.ts';
import { ApiError } from '../../kit/errors.ts';

const AgencyParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const AgencyKeyParams = Type.Object({ id: Type.String({ maxLength: 64 }), key_id: Type.String({ maxLength: 64 }) });
const operator = (request: FastifyRequest): Actor => ({ userId: null, via: 'operator', requestId: request.id });

/** Operator API for API keys: FARO staff generate a key for an agency (live or test mode), or revoke one. */
export async function adminApiKeyRoutes(app: App): Promise<void> {
  const { services } = app.ctx;
  operatorRoutesOnly(app);

  /** Operators name the live agency; a test key lives in its sandbox. */
  async function agencyForMode(liveAgencyId: string, mode: 'live' | 'test'): Promise<string> {
    await services.agencies.getAgency(liveAgencyId);
    return mode === 'live' ? liveAgencyId : (await services.sandboxes.ensure(liveAgencyId)).id;
  }

  app.post('/admin/v1/agencies/:id/api-keys', {
    config: { secret: true },
    schema: { hide: true, params: AgencyParams, body: AdminCreateApiKeyBody, response: { 201: NewApiKeySchema, ...ProblemResponses } },
    handler: async (request, reply) => {
      const { mode = 'live', ...input } = request.body;
      const agencyId = await agencyForMode(request.params.id, mode);
      return reply.code(201).send(await services.apiKeys.generate(agencyId, input, operator(request)));
    },
  });

  app.post('/admin/v1/agencies/:id/api-keys/:key_id/revoke', {
    schema: { hide: true, params: AgencyKeyParams, body: EmptyBody, response: { 200: ApiKeySchema, ...ProblemResponses } },
    preValidation: absentBodyIsEmpty,
    handler: async (request) => {
      await services.agencies.getAgency(request.params.id);
      try {
        return await services.apiKeys.revoke(request.params.id, request.params.key_id, operator(request));
      } catch (error) {
        // Not a live key of the agency: it may be a test key of its sandbox.
        const sandbox = error instanceof ApiError && error.code === 'not_found' ? await services.sandboxes.find(request.params.id) : undefined;
        if (!sandbox) throw error;
        return services.apiKeys.revoke(sandbox.id, request.params.key_id, operator(request));
      }
    },
  });
}

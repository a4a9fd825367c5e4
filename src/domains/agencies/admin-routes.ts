import { Type } from 'typebox';
import type { App } from '../../http/app-type.ts';
import { operatorRoutesOnly } from '../../http/admin-auth.ts';
import { ProblemResponses } from '../../http/problem-schema.ts';
import { SIMULATED_EVENTS } from '../simulation/service.ts';
import { AgencySchema, CreateAgencyBody, CreateUserBody, UpdateAgencyBody, UserSchema } from './schemas.ts';

const AgencyParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

/** Operator API for FARO staff: agencies, their users, and simulated domain events. */
export async function adminAgencyRoutes(app: App): Promise<void> {
  const { services } = app.ctx;
  operatorRoutesOnly(app);

  app.post('/admin/v1/agencies', {
    schema: { hide: true, body: CreateAgencyBody, response: { 201: AgencySchema, ...ProblemResponses } },
    handler: async (request, reply) => {
      const { agency } = await services.agencies.createAgency(request.body);
      return reply.code(201).send(agency);
    },
  });

  app.get('/admin/v1/agencies/:id', {
    schema: { hide: true, params: AgencyParams, response: { 200: AgencySchema, ...ProblemResponses } },
    handler: async (request) => services.agencies.getAgency(request.params.id),
  });

  app.patch('/admin/v1/agencies/:id', {
    schema: { hide: true, params: AgencyParams, body: UpdateAgencyBody, response: { 200: AgencySchema, ...ProblemResponses } },
    handler: async (request) => services.agencies.updateAgency(request.params.id, request.body),
  });

  app.post('/admin/v1/agencies/:id/users', {
    schema: { hide: true, params: AgencyParams, body: CreateUserBody, response: { 201: UserSchema, ...ProblemResponses } },
    handler: async (request, reply) => reply.code(201).send(await services.agencies.addUser(request.params.id, request.body)),
  });

  app.post('/admin/v1/agencies/:id/simulate', {
    schema: {
      hide: true,
      params: AgencyParams,
      body: Type.Object({ event: Type.Enum(SIMULATED_EVENTS) }, { additionalProperties: false }),
      response: {
        201: Type.Object({ event_id: Type.String(), event_type: Type.String(), resource: Type.Record(Type.String(), Type.Unknown()) }),
        ...ProblemResponses,
      },
    },
    handler: async (request, reply) => {
      await services.agencies.getAgency(request.params.id);
      return reply.code(201).send(await services.simulation.simulate(request.params.id, request.body.event));
    },
  });
}

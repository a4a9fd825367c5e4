import { Type } from 'typebox';
import type { App } from '../../http/app-type.ts';
import type { Executor } from '../../db/types.ts';
import { PageSchema, pageRequest } from '../../kit/pagination.ts';
import { ProblemResponses } from '../../http/problem-schema.ts';
import { LEAD_BODY_LIMIT_BYTES } from '../../http/body-limits.ts';
import { IdFilter, IdParams, ListQuery, NoQuery, SinceFilter, requireId } from '../../http/public-schemas.ts';
import { fingerprintRequest } from '../idempotency/service.ts';
import { parseIdempotencyKey } from '../idempotency/key-header.ts';
import { CreateLeadBody, LEAD_STATUSES, LeadSchema, UpdateLeadBody, withLeadDefaults } from './schemas.ts';

const TAGS = ['Leads'];

const LeadListQuery = ListQuery({
  location_id: Type.Optional(IdFilter('loc', 'Only leads of this location.')),
  status: Type.Optional(Type.Enum(LEAD_STATUSES, { description: 'Only leads in this pipeline status.' })),
  updated_since: Type.Optional(SinceFilter('Only leads updated at or after this instant (RFC 3339).')),
});

// Lower-case: with a custom validator compiler Fastify does not lower-case header schemas for
// us, and Node delivers header names lower-cased. The OpenAPI document shows `Idempotency-Key`.
const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      description:
        'Makes retries safe: a retry with the same key and the same body replays the first response (with ' +
        '`Idempotent-Replayed: true`) instead of creating a second lead. Kept 24 hours per agency. Per ' +
        'draft-ietf-httpapi-idempotency-key-header the value is a Structured Field string (RFC 9651): a quoted ' +
        'key of 1–255 printable ASCII characters, e.g. a UUID, `"8e03978e-40d5-43e8-bc93-6894a57f9324"`. The ' +
        'unquoted form (`8e03978e-…`, as Stripe clients send it) is accepted too and names the same key; an ' +
        'unquoted key cannot hold spaces, `"`, `,` or `;` (quote it). Send one per request; a malformed value is a 400.',
      examples: ['"8e03978e-40d5-43e8-bc93-6894a57f9324"'],
    }),
  ),
});

/** Public API (mounted under /api/v1): leads, the one resource clients can write. */
export async function leadRoutes(app: App): Promise<void> {
  const { services } = app.ctx;

  app.get('/leads', {
    config: { scope: 'leads:read' },
    schema: {
      operationId: 'listLeads',
      summary: 'List leads',
      description: 'Leads of every location of the agency, newest first (by creation).',
      tags: TAGS,
      querystring: LeadListQuery,
      response: { 200: PageSchema(LeadSchema, 'Lead'), ...ProblemResponses },
    },
    handler: async (request) => {
      const { limit, cursor, ...filters } = request.query;
      return services.leads.list(request.auth.agencyId, filters, pageRequest({ limit, cursor }, 'lead'));
    },
  });

  app.get('/leads/:id', {
    config: { scope: 'leads:read' },
    schema: {
      operationId: 'getLead',
      summary: 'Get a lead',
      tags: TAGS,
      params: IdParams('lead', 'lead'),
      querystring: NoQuery,
      response: { 200: LeadSchema, ...ProblemResponses },
    },
    handler: async (request) => services.leads.get(request.auth.agencyId, requireId('lead', request.params.id, 'lead')),
  });

  app.post('/leads', {
    config: { scope: 'leads:write' },
    bodyLimit: LEAD_BODY_LIMIT_BYTES,
    schema: {
      operationId: 'createLead',
      summary: 'Create a lead',
      description:
        'Records a new lead for one of the agency’s locations. Creating it directly as `converted` raises ' +
        '`lead.converted`. Send an `Idempotency-Key` to retry safely.',
      tags: TAGS,
      headers: IdempotencyHeaders,
      querystring: NoQuery,
      body: CreateLeadBody,
      response: { 201: LeadSchema, ...ProblemResponses },
    },
    handler: async (request, reply) => {
      const { agencyId } = request.auth;
      const body = withLeadDefaults(request.body);
      const create = async (executor?: Executor) => ({ status: 201, body: (await services.leads.create(agencyId, body, executor)).lead });
      const header = request.headers['idempotency-key'];
      if (header === undefined) return reply.code(201).send((await create()).body);

      const key = parseIdempotencyKey(header);

      const fingerprint = fingerprintRequest(request.method, request.routeOptions.url ?? '/leads', body);
      const result = await services.idempotency.run({ agencyId, key, fingerprint }, create);
      if (result.replayed) void reply.header('idempotent-replayed', 'true');
      return reply.code(result.status).send(result.body);
    },
  });

  app.patch('/leads/:id', {
    config: { scope: 'leads:write' },
    bodyLimit: LEAD_BODY_LIMIT_BYTES,
    schema: {
      operationId: 'updateLead',
      summary: 'Update a lead',
      description: 'Changes the status, value or notes of a lead. Moving it to `converted` raises `lead.converted` (once).',
      tags: TAGS,
      params: IdParams('lead', 'lead'),
      querystring: NoQuery,
      body: UpdateLeadBody,
      response: { 200: LeadSchema, ...ProblemResponses },
    },
    handler: async (request) => {
      const id = requireId('lead', request.params.id, 'lead');
      return (await services.leads.update(request.auth.agencyId, id, request.body)).lead;
    },
  });
}

import type { App } from '../../http/app-type.ts';
import { PageSchema, pageRequest } from '../../kit/pagination.ts';
import { ProblemResponses } from '../../http/problem-schema.ts';
import { ListQuery } from '../../http/public-schemas.ts';
import { AUDIT_ACTION_DESCRIPTIONS, AUDIT_ACTIONS, AuditEventFilters, AuditEventSchema } from './schemas.ts';

export const AUDIT_TAGS = ['Audit log'];

const ACTION_LIST = AUDIT_ACTIONS.map((action) => `- \`${action}\`: ${AUDIT_ACTION_DESCRIPTIONS[action]}`).join('\n');

/** Public API (mounted under /api/v1): the agency's audit log. */
export async function auditRoutes(app: App): Promise<void> {
  const { services } = app.ctx;

  app.get('/audit-events', {
    config: { scope: 'audit:read' },
    schema: {
      operationId: 'listAuditEvents',
      summary: 'List audit events',
      description:
        'Who changed what, newest first: API keys generated, rotated and revoked; webhook subscriptions created, changed and deleted; signing secrets revealed and rotated; ' +
        'deliveries redelivered and recovered. Each entry names its actor (a portal `user`, an `api_key`, or a FARO `operator`) and the `request_id` of the request that made the change ' +
        `(the \`Request-Id\` header of its response). Filter by \`action\` (repeat it for several) and by time.\n\nActions:\n\n${ACTION_LIST}`,
      tags: AUDIT_TAGS,
      querystring: ListQuery(AuditEventFilters),
      response: { 200: PageSchema(AuditEventSchema, 'AuditEvent'), ...ProblemResponses },
    },
    handler: async (request) => {
      const { limit, cursor, ...filter } = request.query;
      return services.audit.list(request.auth.agencyId, filter, pageRequest({ limit, cursor }, 'audit'));
    },
  });
}

import type { Kysely } from 'kysely';
import type { AuditAction, DB, Executor } from '../../db/types.ts';
import { ApiError } from '../../kit/errors.ts';
import { toPage, type Page, type PageRequest } from '../../kit/pagination.ts';
import { newId } from '../../lib/ids.ts';
import type { PublicAuth } from '../api/auth-context.ts';
import * as repo from './repository.ts';
import type { AuditActor, AuditEvent, AuditEventFilter, AuditTarget } from './schemas.ts';

/** The actor of a public API request: the API key it carried, or the portal user of its session. */
export function auditActor(auth: Pick<PublicAuth, 'via' | 'keyId' | 'userId'>, requestId: string): AuditActor {
  return auth.via === 'api_key' ? { type: 'api_key', id: auth.keyId, requestId } : { type: 'user', id: auth.userId, requestId };
}

/**
 * A URL as the audit log keeps it: scheme, host and path. The query and any user:password are
 * left out, as receivers often carry a token there and the log must hold no secret.
 */
export function auditableUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/** Write one entry; pass the transaction of the change it records, so both happen or neither does. */
export async function recordAudit(
  db: Executor,
  entry: { agencyId: string; actor: AuditActor; action: AuditAction; target: AuditTarget; details?: Record<string, unknown>; at: Date },
): Promise<void> {
  await repo.insertAuditEvent(db, {
    id: newId('audit', entry.at),
    agency_id: entry.agencyId,
    actor_type: entry.actor.type,
    actor_id: entry.actor.type === 'operator' ? null : entry.actor.id,
    request_id: entry.actor.requestId,
    action: entry.action,
    target_type: entry.target.type,
    target_id: entry.target.id,
    details: JSON.stringify(entry.details ?? {}),
    created_at: entry.at,
  });
}

function actorLabel(row: repo.AuditEventRow): string | null {
  if (row.actor_type === 'user') return row.actor_email;
  if (row.actor_type === 'api_key') return row.actor_key_name;
  return null;
}

function targetLabel(row: repo.AuditEventRow): string | null {
  if (row.target_type === 'api_key') return row.target_key_name;
  if (row.target_type === 'webhook_subscription') return row.target_url === null ? null : auditableUrl(row.target_url);
  return null;
}

function toAuditEvent(row: repo.AuditEventRow): AuditEvent {
  return {
    id: row.id,
    action: row.action,
    actor: { type: row.actor_type, id: row.actor_id, label: actorLabel(row) },
    target: { type: row.target_type, id: row.target_id, label: targetLabel(row) },
    request_id: row.request_id,
    details: row.details,
    created_at: row.created_at.toISOString(),
  };
}

/** Reading the audit log (`GET /api/v1/audit-events`); entries are written with recordAudit. */
export function createAuditService(deps: { db: Kysely<DB> }) {
  const { db } = deps;
  return {
    async list(agencyId: string, filter: AuditEventFilter, page: PageRequest): Promise<Page<AuditEvent>> {
      const since = filter.created_since === undefined ? undefined : new Date(filter.created_since);
      const until = filter.created_before === undefined ? undefined : new Date(filter.created_before);
      if (since && until && !(since < until)) {
        throw new ApiError('validation_failed', '`created_before` must be later than `created_since`.', {
          errors: [{ path: 'query.created_before', message: 'must be later than created_since' }],
        });
      }
      const rows = await repo.listAuditEvents(db, agencyId, { actions: filter.action, since, until }, page);
      return toPage(rows, page.limit, toAuditEvent);
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;

/** The audit log (`audit_log`): every domain writes its entries through here, inside its own transaction. */
import type { AuditAction, Executor, NewRow } from '../../db/types.ts';
import { idFloor } from '../../lib/ids.ts';

export async function insertAuditEvent(db: Executor, entry: NewRow<'audit_log'>): Promise<void> {
  await db.insertInto('audit_log').values(entry).execute();
}

export interface AuditListFilters {
  actions?: readonly AuditAction[] | undefined;
  /** created_at >= since */
  since?: Date | undefined;
  /** created_at < until */
  until?: Date | undefined;
}

/**
 * An agency's entries, newest first, with what names their actor and target today (a user's
 * email, a key's name, a subscription's URL). Joins check the agency too, so an id can never
 * pick up another agency's row.
 */
export async function listAuditEvents(db: Executor, agencyId: string, filters: AuditListFilters, page: { limit: number; before?: string | undefined }) {
  let query = db
    .selectFrom('audit_log')
    .leftJoin('users', (join) => join.onRef('users.id', '=', 'audit_log.actor_id').onRef('users.agency_id', '=', 'audit_log.agency_id'))
    .leftJoin('api_keys as actor_key', (join) =>
      join.onRef('actor_key.id', '=', 'audit_log.actor_id').onRef('actor_key.agency_id', '=', 'audit_log.agency_id'))
    .leftJoin('api_keys as target_key', (join) =>
      join.onRef('target_key.id', '=', 'audit_log.target_id').onRef('target_key.agency_id', '=', 'audit_log.agency_id'))
    .leftJoin('webhook_subscriptions as target_subscription', (join) =>
      join.onRef('target_subscription.id', '=', 'audit_log.target_id').onRef('target_subscription.agency_id', '=', 'audit_log.agency_id'))
    .selectAll('audit_log')
    .select([
      'users.email as actor_email',
      'actor_key.name as actor_key_name',
      'target_key.name as target_key_name',
      'target_subscription.url as target_url',
    ])
    .where('audit_log.agency_id', '=', agencyId);
  if (filters.actions && filters.actions.length > 0) query = query.where('audit_log.action', 'in', filters.actions);
  // Ids are time-ordered: the id bounds are what audit_log_agency_idx serves (migrations/0009); created_at keeps them exact.
  if (filters.since) query = query.where('audit_log.id', '>=', idFloor('audit', filters.since)).where('audit_log.created_at', '>=', filters.since);
  if (filters.until) query = query.where('audit_log.id', '<', idFloor('audit', filters.until)).where('audit_log.created_at', '<', filters.until);
  if (page.before) query = query.where('audit_log.id', '<', page.before);
  return query.orderBy('audit_log.id', 'desc').limit(page.limit + 1).execute();
}
export type AuditEventRow = Awaited<ReturnType<typeof listAuditEvents>>[number];

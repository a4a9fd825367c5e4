import type { Executor, NewRow, Row, LeadStatus } from '../../db/types.ts';
import type { PageRequest } from '../../kit/pagination.ts';
import type { LeadFilters } from './schemas.ts';

export async function insertLead(db: Executor, row: NewRow<'leads'>): Promise<Row<'leads'>> {
  return db.insertInto('leads').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findLead(db: Executor, agencyId: string, id: string, options: { forUpdate?: boolean } = {}) {
  let query = db.selectFrom('leads').selectAll().where('agency_id', '=', agencyId).where('id', '=', id);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function updateLead(
  db: Executor,
  agencyId: string,
  id: string,
  changes: { status?: LeadStatus; value?: string | number | null; notes?: string; converted_at?: Date | null; updated_at: Date },
): Promise<Row<'leads'>> {
  return db.updateTable('leads').set(changes).where('agency_id', '=', agencyId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

export async function listLeads(db: Executor, agencyId: string, filters: LeadFilters, page: PageRequest): Promise<Row<'leads'>[]> {
  let query = db.selectFrom('leads').selectAll().where('agency_id', '=', agencyId);
  if (filters.location_id) query = query.where('location_id', '=', filters.location_id);
  if (filters.status) query = query.where('status', '=', filters.status);
  if (filters.updated_since) query = query.where('updated_at', '>=', new Date(filters.updated_since));
  if (page.before) query = query.where('id', '<', page.before);
  return query.orderBy('id', 'desc').limit(page.limit + 1).execute();
}

export async function latestUnconvertedLead(db: Executor, agencyId: string): Promise<Row<'leads'> | undefined> {
  return db
    .selectFrom('leads')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .where('status', 'in', ['new', 'contacted', 'qualified'])
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

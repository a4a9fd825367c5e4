import type { Executor, NewRow, Row } from '../../db/types.ts';
import type { PageRequest } from '../../kit/pagination.ts';

export async function insertLocation(db: Executor, row: NewRow<'locations'>): Promise<Row<'locations'>> {
  return db.insertInto('locations').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findLocation(db: Executor, agencyId: string, id: string): Promise<Row<'locations'> | undefined> {
  return db.selectFrom('locations').selectAll().where('agency_id', '=', agencyId).where('id', '=', id).executeTakeFirst();
}

export async function listLocations(db: Executor, agencyId: string, page: PageRequest): Promise<Row<'locations'>[]> {
  let query = db.selectFrom('locations').selectAll().where('agency_id', '=', agencyId);
  if (page.before) query = query.where('id', '<', page.before);
  return query.orderBy('id', 'desc').limit(page.limit + 1).execute();
}

export async function firstLocation(db: Executor, agencyId: string): Promise<Row<'locations'> | undefined> {
  return db.selectFrom('locations').selectAll().where('agency_id', '=', agencyId).orderBy('id', 'asc').limit(1).executeTakeFirst();
}

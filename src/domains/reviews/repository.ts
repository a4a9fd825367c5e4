import type { Executor, NewRow, Row } from '../../db/types.ts';
import type { PageRequest } from '../../kit/pagination.ts';
import { idFloor } from '../../lib/ids.ts';
import type { ReviewFilters } from './schemas.ts';

export async function insertReview(db: Executor, row: NewRow<'reviews'>): Promise<Row<'reviews'>> {
  return db.insertInto('reviews').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findReview(db: Executor, agencyId: string, id: string): Promise<Row<'reviews'> | undefined> {
  return db.selectFrom('reviews').selectAll().where('agency_id', '=', agencyId).where('id', '=', id).executeTakeFirst();
}

export async function listReviews(db: Executor, agencyId: string, filters: ReviewFilters, page: PageRequest): Promise<Row<'reviews'>[]> {
  let query = db.selectFrom('reviews').selectAll().where('agency_id', '=', agencyId);
  if (filters.location_id) query = query.where('location_id', '=', filters.location_id);
  if (filters.source) query = query.where('source', '=', filters.source);
  if (filters.rating !== undefined) query = query.where('rating', '=', filters.rating);
  if (filters.created_since) {
    // Ids are time-ordered: the id bound is what the list's indexes serve (migrations/0009); created_at keeps it exact.
    const since = new Date(filters.created_since);
    query = query.where('id', '>=', idFloor('rev', since)).where('created_at', '>=', since);
  }
  if (page.before) query = query.where('id', '<', page.before);
  return query.orderBy('id', 'desc').limit(page.limit + 1).execute();
}

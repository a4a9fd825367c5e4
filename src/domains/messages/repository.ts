import type { Executor, NewRow, Row } from '../../db/types.ts';
import type { PageRequest } from '../../kit/pagination.ts';
import type { MessageFilters } from './schemas.ts';

export async function insertMessage(db: Executor, row: NewRow<'messages'>): Promise<Row<'messages'>> {
  return db.insertInto('messages').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findMessage(db: Executor, agencyId: string, id: string): Promise<Row<'messages'> | undefined> {
  return db.selectFrom('messages').selectAll().where('agency_id', '=', agencyId).where('id', '=', id).executeTakeFirst();
}

export async function listMessages(db: Executor, agencyId: string, filters: MessageFilters, page: PageRequest): Promise<Row<'messages'>[]> {
  let query = db.selectFrom('messages').selectAll().where('agency_id', '=', agencyId);
  if (filters.conversation_id) query = query.where('conversation_id', '=', filters.conversation_id);
  if (filters.direction) query = query.where('direction', '=', filters.direction);
  if (filters.created_since) query = query.where('created_at', '>=', new Date(filters.created_since));
  if (page.before) query = query.where('id', '<', page.before);
  return query.orderBy('id', 'desc').limit(page.limit + 1).execute();
}

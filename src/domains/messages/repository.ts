import type { Executor, NewRow, Row } from '../../db/types.ts';
import type { PageRequest } from '../../kit/pagination.ts';
import { idFloor } from '../../lib/ids.ts';
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
  if (filters.created_since) {
    // Ids are time-ordered: the id bound is what the list's indexes serve (migrations/0009); created_at keeps it exact.
    const since = new Date(filters.created_since);
    query = query.where('id', '>=', idFloor('msg', since)).where('created_at', '>=', since);
  }
  if (page.before) query = query.where('id', '<', page.before);
  return query.orderBy('id', 'desc').limit(page.limit + 1).execute();
}

import type { Executor, NewRow, Row } from '../../db/types.ts';
import type { PageRequest } from '../../kit/pagination.ts';
import type { ConversationFilters } from './schemas.ts';

export async function insertConversation(db: Executor, row: NewRow<'conversations'>): Promise<Row<'conversations'>> {
  return db.insertInto('conversations').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findConversation(db: Executor, agencyId: string, id: string): Promise<Row<'conversations'> | undefined> {
  return db.selectFrom('conversations').selectAll().where('agency_id', '=', agencyId).where('id', '=', id).executeTakeFirst();
}

export async function listConversations(
  db: Executor,
  agencyId: string,
  filters: ConversationFilters,
  page: PageRequest,
): Promise<Row<'conversations'>[]> {
  let query = db.selectFrom('conversations').selectAll().where('agency_id', '=', agencyId);
  if (filters.location_id) query = query.where('location_id', '=', filters.location_id);
  if (filters.status) query = query.where('status', '=', filters.status);
  if (filters.channel) query = query.where('channel', '=', filters.channel);
  if (filters.updated_since) query = query.where('updated_at', '>=', new Date(filters.updated_since));
  if (page.before) query = query.where('id', '<', page.before);
  return query.orderBy('id', 'desc').limit(page.limit + 1).execute();
}

export async function touchConversation(db: Executor, agencyId: string, id: string, at: Date): Promise<Row<'conversations'>> {
  return db
    .updateTable('conversations')
    .set({ last_message_at: at, updated_at: at, status: 'open' })
    .where('agency_id', '=', agencyId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function latestOpenConversation(db: Executor, agencyId: string): Promise<Row<'conversations'> | undefined> {
  return db
    .selectFrom('conversations')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .where('status', '=', 'open')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

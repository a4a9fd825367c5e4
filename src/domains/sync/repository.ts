import type { Executor, NewRow, Row } from '../../db/types.ts';

export async function insertSyncRun(db: Executor, row: NewRow<'sync_runs'>): Promise<Row<'sync_runs'>> {
  return db.insertInto('sync_runs').values(row).returningAll().executeTakeFirstOrThrow();
}

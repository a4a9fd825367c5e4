/** The one shape of a retention delete, shared by the owners of the pruned tables. */
import { sql } from 'kysely';
import type { DB, Executor } from './types.ts';

/**
 * Deletes up to `batchSize` rows of `table` whose `timeColumn` is before `cutoff`; returns how
 * many. Bounded, so a retention pass never holds a long transaction or a huge lock set.
 */
export async function deleteBatchBefore<T extends keyof DB & string>(
  db: Executor,
  table: T,
  timeColumn: keyof DB[T] & string,
  cutoff: Date,
  batchSize: number,
): Promise<number> {
  const result = await sql`
    DELETE FROM ${sql.table(table)} WHERE id IN (
      SELECT id FROM ${sql.table(table)} WHERE ${sql.ref(timeColumn)} < ${cutoff}::timestamptz LIMIT ${batchSize}::int)`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

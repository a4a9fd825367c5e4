/** The one shape of a retention delete, shared by the owners of the pruned tables. */
import { sql } from 'kysely';
import type { DB, Executor } from './types.ts';

/**
 * Deletes up to `batchSize` rows of `table` whose `column` is below `bound` (a time, or an
 * `idFloor` on `id`); returns how many. Bounded, so a retention pass never holds a long
 * transaction or a huge lock set.
 */
export async function deleteBatchBefore<T extends keyof DB & string>(
  db: Executor,
  table: T,
  column: keyof DB[T] & string,
  bound: Date | string,
  batchSize: number,
): Promise<number> {
  const below = typeof bound === 'string' ? sql`${bound}::text` : sql`${bound}::timestamptz`;
  const result = await sql`
    DELETE FROM ${sql.table(table)} WHERE id IN (
      SELECT id FROM ${sql.table(table)} WHERE ${sql.ref(column)} < ${below} LIMIT ${batchSize}::int)`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

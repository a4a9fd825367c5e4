import type { Transaction } from 'kysely';
import type { DB, Executor } from './types.ts';

/**
 * Run `work` in a transaction: the caller's, when it passes one (so domain actions compose into
 * one atomic unit, e.g. a simulated location + conversation), or a new one.
 */
export async function inTransaction<T>(executor: Executor, work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  if (executor.isTransaction) return work(executor as Transaction<DB>);
  return executor.transaction().execute(work);
}

/**
 * Keeps a process's leases alive: every `leaseMs / 4` it extends, in one statement, the lease of
 * every delivery it holds (attempts under way, deliveries claimed ahead). So a lease can be short
 * (a dead worker's deliveries are claimable again within about `leaseMs`) and still never expire
 * under a running attempt of a live worker, however long the attempt takes.
 */
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { DB } from '../../../db/types.ts';
import type { Clock } from '../../../lib/clock.ts';
import { renewLeases } from './lease-repository.ts';

export interface Lease {
  id: string;
  workerId: string;
  /** The attempt number the lease was taken for. */
  attempts: number;
}

export function createLeaseKeeper(deps: { db: Kysely<DB>; clock: Clock; leaseMs: number; logger: FastifyBaseLogger }) {
  const { db, clock, leaseMs, logger } = deps;
  const held = new Map<string, Lease>();
  /** Leases whose release is being written: still renewed, but gone afterwards is expected. */
  const releasing = new Set<string>();
  const lostListeners = new Set<(lost: ReadonlySet<string>) => void>();
  let timer: NodeJS.Timeout | undefined;
  let renewing: Promise<void> | null = null;

  async function renew(): Promise<void> {
    const leases = [...held.values()];
    if (leases.length === 0) return;
    try {
      const gone = await renewLeases(db, leases, new Date(clock.now().getTime() + leaseMs));
      // A lease released while the statement ran is gone, not lost.
      const lost = new Set(
        leases.filter((lease) => gone.has(lease.id) && held.get(lease.id) === lease && !releasing.has(lease.id)).map((lease) => lease.id),
      );
      if (lost.size === 0) return;
      for (const id of lost) held.delete(id);
      logger.warn({ deliveryIds: [...lost] }, 'webhook delivery leases were taken back before they were released (this process stalled past its lease)');
      for (const listener of lostListeners) listener(lost);
    } catch (error) {
      // The database is away: the next tick tries again; a lease outlives a few missed ticks.
      logger.warn({ err: error }, 'renewing webhook delivery leases failed');
    }
  }

  function tick(): void {
    if (renewing || held.size === 0) return;
    renewing = renew().finally(() => {
      renewing = null;
    });
  }

  return {
    leaseMs,
    /** The lease's end for a claim made now. */
    leaseUntil: (now: Date) => new Date(now.getTime() + leaseMs),
    hold(lease: Lease): void {
      if (!held.has(lease.id)) held.set(lease.id, lease);
      if (!timer) {
        timer = setInterval(tick, Math.max(10, Math.floor(leaseMs / 4)));
        timer.unref();
      }
    },
    /** The attempt is over and its release is being written. */
    releasing(id: string): void {
      if (held.has(id)) releasing.add(id);
    },
    /** The lease was ended (the attempt recorded, or the delivery cancelled). */
    drop(id: string): void {
      held.delete(id);
      releasing.delete(id);
    },
    /** Called with the ids of leases found taken back by another worker. */
    onLost(listener: (lost: ReadonlySet<string>) => void): () => void {
      lostListeners.add(listener);
      return () => lostListeners.delete(listener);
    },
    async close(): Promise<void> {
      clearInterval(timer);
      timer = undefined;
      await renewing;
    },
  };
}

export type LeaseKeeper = ReturnType<typeof createLeaseKeeper>;

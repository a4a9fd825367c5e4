/**
 * A worker's slots and who holds them: the fairness of the delivery engine, kept in memory.
 *
 * A worker has `maxInFlight` slots (attempts sending at once). Deliveries it leased wait in its
 * *buffer* (claimed ahead, so a freed slot is refilled without a database round trip) until they
 * take a slot. The guarantee, per worker process:
 * - agencies take turns: slots and claims go round-robin over the agencies with due work, then
 *   over each agency's subscriptions (the claim orders by those turns; `next()` rotates);
 * - an agency sends at most `agencyCap` at once, where agencyCap = ⌊maxInFlight / (k + 1)⌋ for k
 *   agencies holding work here (at least 1): the k agencies together never fill the worker, so an
 *   agency whose work just became due finds free slots at the next claim, whatever the others'
 *   endpoints do (hang, drip, time out);
 * - a subscription sends at most `perSubscription` at once;
 * - leases beyond the slots are few: a subscription's buffer holds at most half its cap, an
 *   agency's half of its own, and the worker's `maxInFlight / 4` in all. Across worker processes
 *   the caps add up (each process applies its own), and a subscription's leases exceed its cap
 *   by at most its buffer in each.
 */
import type { ClaimedDelivery } from './queue-types.ts';

export interface SlotBookOptions {
  maxInFlight: number;
  perSubscription: number;
}

/** What the next claim may take: passed to claimDueDeliveries. */
export interface ClaimAllowance {
  limit: number;
  subscriptionAllowances: Map<string, number>;
  agencyAllowances: Map<string, number>;
  subscriptionDefault: number;
  agencyDefault: number;
}

/** What one agency or subscription occupies here. A finished request (being recorded) occupies nothing. */
interface Holder {
  buffered: number;
  sending: number;
}

const bump = (map: Map<string, Holder>, key: string, field: keyof Holder, by: number) => {
  const holder = map.get(key) ?? { buffered: 0, sending: 0 };
  holder[field] += by;
  if (holder.buffered === 0 && holder.sending === 0) map.delete(key);
  else map.set(key, holder);
};
const occupied = (holder: Holder) => holder.buffered + holder.sending;

export function createSlotBook(options: SlotBookOptions) {
  const { maxInFlight, perSubscription } = options;
  const aheadPerSubscription = Math.max(1, Math.floor(perSubscription / 2));
  const aheadTotal = Math.max(1, Math.floor(maxInFlight / 4));
  const agencies = new Map<string, Holder>();
  const subscriptions = new Map<string, Holder>();
  /** Buffered deliveries per agency, in claim order; the map's order is the agencies' rotation. */
  const buffer = new Map<string, ClaimedDelivery[]>();
  let sending = 0;
  let buffered = 0;

  const agencyCapFor = (holdingAgencies: number) => Math.max(1, Math.floor(maxInFlight / (holdingAgencies + 1)));
  const agencyCap = () => agencyCapFor(agencies.size);
  const sendingOf = (map: Map<string, Holder>, key: string) => map.get(key)?.sending ?? 0;

  function mayStart(delivery: ClaimedDelivery): boolean {
    return sendingOf(agencies, delivery.agency_id) < agencyCap() && sendingOf(subscriptions, delivery.subscription_id) < perSubscription;
  }

  return {
    /** Leased deliveries join the buffer. */
    add(claimed: ClaimedDelivery[]): void {
      for (const delivery of claimed) {
        const queue = buffer.get(delivery.agency_id) ?? [];
        queue.push(delivery);
        buffer.set(delivery.agency_id, queue);
        bump(agencies, delivery.agency_id, 'buffered', 1);
        bump(subscriptions, delivery.subscription_id, 'buffered', 1);
        buffered++;
      }
    },

    /**
     * The next buffered delivery that may take a free slot, agencies in rotation (the one served
     * goes to the back), or undefined. The caller starts it and calls `finished` when its request
     * is over.
     */
    next(): ClaimedDelivery | undefined {
      if (sending >= maxInFlight) return undefined;
      for (const [agencyId, queue] of buffer) {
        const index = queue.findIndex(mayStart);
        if (index < 0) continue;
        const [delivery] = queue.splice(index, 1) as [ClaimedDelivery];
        buffer.delete(agencyId);
        if (queue.length > 0) buffer.set(agencyId, queue);
        for (const [map, key] of [[agencies, delivery.agency_id], [subscriptions, delivery.subscription_id]] as const) {
          bump(map, key, 'buffered', -1);
          bump(map, key, 'sending', 1);
        }
        buffered--;
        sending++;
        return delivery;
      }
      return undefined;
    },

    /** The request is over: its slot is free (the lease is held until the attempt is recorded). */
    finished(delivery: ClaimedDelivery): void {
      bump(agencies, delivery.agency_id, 'sending', -1);
      bump(subscriptions, delivery.subscription_id, 'sending', -1);
      sending--;
    },

    /** Drops buffered deliveries whose lease this worker no longer holds; returns them. */
    dropBuffered(ids: ReadonlySet<string>): ClaimedDelivery[] {
      const dropped: ClaimedDelivery[] = [];
      for (const [agencyId, queue] of buffer) {
        const kept = queue.filter((delivery) => !ids.has(delivery.id));
        dropped.push(...queue.filter((delivery) => ids.has(delivery.id)));
        if (kept.length > 0) buffer.set(agencyId, kept);
        else buffer.delete(agencyId);
      }
      for (const delivery of dropped) {
        bump(agencies, delivery.agency_id, 'buffered', -1);
        bump(subscriptions, delivery.subscription_id, 'buffered', -1);
      }
      buffered -= dropped.length;
      return dropped;
    },

    /**
     * How much the next claim may lease: the free slots plus the buffer's room (without `ahead`,
     * the free slots alone), split fairly.
     */
    allowance(options: { ahead?: boolean } = {}): ClaimAllowance {
      const ahead = options.ahead ?? true;
      const perSubscriptionAhead = ahead ? aheadPerSubscription : 0;
      // An agency may lease half its sending cap again ahead, a subscription half of its own.
      const agencyRoom = (cap: number) => cap + (ahead ? Math.max(1, Math.floor(cap / 2)) : 0);
      const agencyAllowances = new Map<string, number>();
      for (const [id, holder] of agencies) agencyAllowances.set(id, Math.max(0, agencyRoom(agencyCap()) - occupied(holder)));
      const subscriptionAllowances = new Map<string, number>();
      for (const [id, holder] of subscriptions) subscriptionAllowances.set(id, Math.max(0, perSubscription + perSubscriptionAhead - occupied(holder)));
      return {
        limit: Math.max(0, maxInFlight + (ahead ? aheadTotal : 0) - sending - buffered),
        agencyAllowances,
        subscriptionAllowances,
        subscriptionDefault: perSubscription + perSubscriptionAhead,
        agencyDefault: agencyRoom(agencyCapFor(agencies.size + 1)),
      };
    },

    /** Buffered deliveries (leased, waiting for a slot). */
    buffered: () => buffered,
    sending: () => sending,
    /** Every buffered delivery (their leases are renewed too). */
    bufferedDeliveries: (): ClaimedDelivery[] => [...buffer.values()].flat(),
  };
}

export type SlotBook = ReturnType<typeof createSlotBook>;

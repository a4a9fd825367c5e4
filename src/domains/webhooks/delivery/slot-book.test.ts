import { describe, expect, it } from 'vitest';
import { createSlotBook } from './slot-book.ts';
import type { ClaimedDelivery } from './queue-types.ts';

let sequence = 0;
function delivery(agency: string, subscription: string): ClaimedDelivery {
  sequence++;
  return {
    id: `whdel_${sequence}`, agency_id: agency, subscription_id: subscription, event_id: null, event_type: 'review.created',
    payload: '{}', attempts: 1, is_test: false, locked_by: 'w', url: 'https://example.com', secret_sealed: 's',
    previous_secret_sealed: null, previous_secret_expires_at: null, subscription_enabled: true, subscription_deleted_at: null, failing_since: null,
  };
}

function drain(book: ReturnType<typeof createSlotBook>): string[] {
  const started: string[] = [];
  for (let next = book.next(); next; next = book.next()) started.push(`${next.agency_id}/${next.subscription_id}`);
  return started;
}

describe('slot book', () => {
  it('gives slots to agencies in turn, whatever order they were claimed in', () => {
    const book = createSlotBook({ maxInFlight: 100, perSubscription: 10 });
    book.add([delivery('a', 'a1'), delivery('a', 'a1'), delivery('a', 'a2'), delivery('b', 'b1'), delivery('c', 'c1'), delivery('b', 'b1')]);
    expect(drain(book)).toEqual(['a/a1', 'b/b1', 'c/c1', 'a/a1', 'b/b1', 'a/a2']);
  });

  it('caps an agency at maxInFlight / (agencies holding work + 1), leaving slots for one more', () => {
    const book = createSlotBook({ maxInFlight: 12, perSubscription: 100 });
    book.add(Array.from({ length: 20 }, (_, i) => delivery('a', `a${i}`)));
    expect(drain(book)).toHaveLength(6); // alone: 12 / 2
    expect(book.allowance().agencyAllowances.get('a')).toBe(0);

    book.add([delivery('b', 'b1'), delivery('b', 'b2'), delivery('b', 'b3'), delivery('b', 'b4'), delivery('b', 'b5')]);
    // Two agencies: 12 / 3 = 4 each. A is over it and waits; B takes its 4.
    expect(drain(book)).toEqual(['b/b1', 'b/b2', 'b/b3', 'b/b4']);
    expect(book.sending()).toBe(10);
    // A newcomer is offered its share by the next claim.
    expect(book.allowance().agencyDefault).toBeGreaterThanOrEqual(3);
  });

  it('caps a subscription at perSubscription sending; its next waits in the buffer for its own slot', () => {
    const book = createSlotBook({ maxInFlight: 100, perSubscription: 2 });
    const claimed = [delivery('a', 's'), delivery('a', 's'), delivery('a', 's')];
    book.add(claimed);
    expect(drain(book)).toEqual(['a/s', 'a/s']);
    expect(book.buffered()).toBe(1);
    book.finished(claimed[0]!);
    expect(drain(book)).toEqual(['a/s']);
  });

  it('claims ahead a little (half a subscription cap), or only the free slots when asked', () => {
    const book = createSlotBook({ maxInFlight: 8, perSubscription: 4 });
    expect(book.allowance()).toMatchObject({ limit: 10, subscriptionDefault: 6 });
    expect(book.allowance({ ahead: false })).toMatchObject({ limit: 8, subscriptionDefault: 4 });
    book.add([delivery('a', 's'), delivery('a', 's')]);
    drain(book);
    expect(book.allowance().subscriptionAllowances.get('s')).toBe(4);
    expect(book.allowance({ ahead: false }).subscriptionAllowances.get('s')).toBe(2);
  });

  it('forgets buffered deliveries whose lease was lost, and never starts them', () => {
    const book = createSlotBook({ maxInFlight: 1, perSubscription: 1 });
    const [first, second] = [delivery('a', 's'), delivery('a', 's')];
    book.add([first!, second!]);
    expect(book.next()?.id).toBe(first!.id);
    expect(book.dropBuffered(new Set([second!.id])).map((d) => d.id)).toEqual([second!.id]);
    book.finished(first!);
    expect(book.next()).toBeUndefined();
    expect(book.buffered()).toBe(0);
  });
});

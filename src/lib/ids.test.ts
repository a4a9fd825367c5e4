import { describe, expect, it } from 'vitest';
import { idFloor, isId, newId, timeOfId } from './ids.ts';

describe('newId', () => {
  it('never repeats across many refills of the random pool', () => {
    const at = new Date('2026-11-29T12:00:00.000Z');
    const ids = Array.from({ length: 5000 }, () => newId('whatt', at));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => isId('whatt', id))).toBe(true);
    // Same millisecond: only the 16 random characters tell them apart, and they do.
    expect(new Set(ids.map((id) => id.slice(-16))).size).toBe(ids.length);
  });

  it('sorts by creation time', () => {
    const earlier = newId('evt', new Date('2026-01-01T00:00:00.000Z'));
    const later = newId('evt', new Date('2026-01-01T00:00:00.001Z'));
    expect(earlier < later).toBe(true);
  });
});

describe('idFloor', () => {
  it('bounds ids by creation time: made at or after `at` sort at or above it, made before it below', () => {
    const at = new Date('2026-06-01T12:00:00.000Z');
    const before = Array.from({ length: 200 }, () => newId('whdel', new Date(at.getTime() - 1)));
    const atOrAfter = Array.from({ length: 200 }, (_, i) => newId('whdel', new Date(at.getTime() + (i % 3))));
    const floor = idFloor('whdel', at);
    expect(before.every((id) => id < floor)).toBe(true);
    expect(atOrAfter.every((id) => id >= floor)).toBe(true);
  });
});

describe('timeOfId', () => {
  it('reads back the moment an id was made, and NaN from what is not an id', () => {
    const at = new Date('2026-12-05T17:20:00.123Z');
    expect(timeOfId(newId('evt', at))).toBe(at.getTime());
    expect(timeOfId('evt_!!')).toBeNaN();
    expect(timeOfId('evt_0123')).toBeNaN();
  });
});

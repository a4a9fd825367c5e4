import { describe, expect, it } from 'vitest';
import { formatDuration, formatGrace, fromLocalInputValue, relativeTime, toLocalInputValue } from './time.ts';

describe('relativeTime', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  const at = (secondsFromNow: number) => new Date(now + secondsFromNow * 1000).toISOString();

  it('says "now" for the last ten seconds but counts down the near future', () => {
    expect(relativeTime(at(-5), now)).toBe('now');
    expect(relativeTime(at(0), now)).toBe('now');
    expect(relativeTime(at(4), now)).toBe('in 4 seconds');
  });

  it('picks the largest whole unit, past and future', () => {
    expect(relativeTime(at(-180), now)).toBe('3 minutes ago');
    expect(relativeTime(at(-2 * 3600), now)).toBe('2 hours ago');
    expect(relativeTime(at(5 * 60), now)).toBe('in 5 minutes');
    expect(relativeTime(at(-86400), now)).toBe('yesterday');
    expect(relativeTime(at(3 * 86400), now)).toBe('in 3 days');
  });

  it('returns unparseable input unchanged', () => {
    expect(relativeTime('not a date', now)).toBe('not a date');
  });
});

describe('datetime-local round trip', () => {
  it('keeps minutes precision in local time', () => {
    const date = new Date(2026, 2, 1, 9, 7);
    const value = toLocalInputValue(date);
    expect(value).toBe('2026-03-01T09:07');
    expect(fromLocalInputValue(value)).toBe(date.toISOString());
  });

  it('reads a bare date as the end of that local day', () => {
    expect(fromLocalInputValue('2026-03-01')).toBe(new Date(2026, 2, 1, 23, 59, 59).toISOString());
    expect(fromLocalInputValue('')).toBeNull();
    expect(fromLocalInputValue('garbage')).toBeNull();
  });
});

describe('formatting', () => {
  it('formats durations and grace periods', () => {
    expect(formatDuration(42)).toBe('42 ms');
    expect(formatDuration(1530)).toBe('1.53 s');
    expect(formatDuration(null)).toBe('—');
    expect(formatGrace(0)).toBe('Immediately');
    expect(formatGrace(3600)).toBe('1 hour');
    expect(formatGrace(86400)).toBe('1 day');
    expect(formatGrace(7 * 86400)).toBe('7 days');
  });
});

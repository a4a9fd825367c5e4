// Relative and absolute time formatting with the platform's Intl APIs.

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const dtf = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** "3 minutes ago", "in 5 minutes", "in 4 seconds", "now" (the last ten seconds). */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const diff = Math.round((then - now) / 1000);
  const abs = Math.abs(diff);
  // The recent past reads as "now"; the near future (a retry due in 4 s) keeps its seconds.
  if (diff <= 0 ? abs < 10 : abs < 1) return rtf.format(0, 'second');
  for (const [unit, seconds] of UNITS) {
    if (abs >= seconds || unit === 'second') return rtf.format(Math.trunc(diff / seconds), unit);
  }
  return rtf.format(diff, 'second');
}

export function absoluteTime(iso: string): string {
  const then = Date.parse(iso);
  return Number.isNaN(then) ? iso : dtf.format(then);
}

/** Value for <input type="datetime-local"> (local time, minutes precision). */
export function toLocalInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Parses a datetime-local (or date) input value as local time into an ISO string. */
export function fromLocalInputValue(value: string): string | null {
  if (!value) return null;
  const date = new Date(value.length === 10 ? `${value}T23:59:59` : value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export function formatGrace(seconds: number): string {
  if (seconds === 0) return 'Immediately';
  if (seconds % 86400 === 0) return `${seconds / 86400} day${seconds === 86400 ? '' : 's'}`;
  const hours = Math.round(seconds / 3600);
  return `${hours} hour${hours === 1 ? '' : 's'}`;
}

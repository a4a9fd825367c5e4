import { useEffect, useState } from 'react';
import { absoluteTime, relativeTime } from '../lib/time.ts';

/** "3 minutes ago" in a <time> element with the exact time as a tooltip; keeps itself current. */
export function RelativeTime({ iso, fallback = '—' }: { iso: string | null | undefined; fallback?: string }) {
  const [, setTick] = useState(0);
  const then = iso ? Date.parse(iso) : NaN;
  // Within a minute of now (e.g. a retry due in 4 s) count every second; otherwise every 15 s.
  const fast = Number.isFinite(then) && Math.abs(then - Date.now()) < 60_000;
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), fast ? 1000 : 15_000);
    return () => clearInterval(t);
  }, [fast]);
  if (!iso) return <span className="muted">{fallback}</span>;
  return (
    <time dateTime={iso} title={absoluteTime(iso)}>
      {relativeTime(iso)}
    </time>
  );
}

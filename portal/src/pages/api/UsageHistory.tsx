// Settings → API: one key's requests per hour over the last 24 hours or 7 days.
import { useState } from 'react';
import { usageApi } from '../../api/endpoints.ts';
import type { ApiKey } from '../../api/types.ts';
import { ErrorState, Loading } from '../../components/States.tsx';
import { useAsync } from '../../lib/useAsync.ts';
import { UsageChart } from './UsageChart.tsx';

const RANGES = [
  { hours: 24, label: '24 hours' },
  { hours: 24 * 7, label: '7 days' },
] as const;

export function UsageHistory({ keys }: { keys: ApiKey[] }) {
  // Revoked and expired keys still have a history; working keys come first.
  const ordered = [...keys].sort((a, b) => Number(Boolean(a.revoked_at)) - Number(Boolean(b.revoked_at)));
  const [chosen, setChosen] = useState<string | null>(null);
  const [hours, setHours] = useState<number>(24);
  const key = ordered.find((k) => k.id === chosen) ?? ordered[0];
  const usage = useAsync((signal) => usageApi.hourly(key!.id, hours, signal), [key?.id, hours], key !== undefined);

  if (!key) return null;
  return (
    <section className="card" aria-labelledby="usage-history">
      <div className="section-header">
        <h2 id="usage-history">Usage history</h2>
        <div className="toolbar">
          <label className="visually-hidden" htmlFor="usage-key">API key</label>
          <select id="usage-key" value={key.id} onChange={(e) => setChosen(e.target.value)}>
            {ordered.map((k) => <option key={k.id} value={k.id}>{`${k.name} (${k.masked_key})`}</option>)}
          </select>
          <div className="segmented" role="group" aria-label="Time range">
            {RANGES.map((r) => (
              <button key={r.hours} type="button" aria-pressed={hours === r.hours} onClick={() => setHours(r.hours)}>{r.label}</button>
            ))}
          </div>
          <button type="button" onClick={usage.reload} disabled={usage.loading}>{usage.loading ? 'Refreshing…' : 'Refresh'}</button>
        </div>
      </div>
      <p className="help">Requests the key made each hour, by outcome. Counts reach this chart within a few seconds. Requests made in the portal are not counted here.</p>
      {usage.error ? (
        <ErrorState error={usage.error} onRetry={usage.reload} />
      ) : !usage.data || usage.data.key_id !== key.id ? (
        <Loading label="Loading usage…" />
      ) : (
        <UsageChart usage={usage.data} keyName={key.name} />
      )}
    </section>
  );
}

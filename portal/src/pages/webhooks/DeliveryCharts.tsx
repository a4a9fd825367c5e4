// The endpoint's deliveries per hour (stacked by outcome) and attempt latency p50/p95, over the
// last 24 hours or 7 days, with the same numbers in a table for those who do not read charts.
import { useState } from 'react';
import { webhooksApi } from '../../api/endpoints.ts';
import type { DeliveryStatsHour, StatsRange } from '../../api/types.ts';
import { ErrorState, Loading } from '../../components/States.tsx';
import { useAsync } from '../../lib/useAsync.ts';
import { Legend, Lines, StackedBars, type Series } from './charts.tsx';

const OUTCOMES: Series[] = [
  { key: 'succeeded', label: 'Succeeded', color: '#1d7a3d' },
  { key: 'retrying', label: 'Retrying', color: '#d99a00' },
  { key: 'failed', label: 'Failed', color: '#b3261e' },
];
const LATENCY: Series[] = [
  { key: 'latency_p50_ms', label: 'p50 (median)', color: '#2454d6' },
  { key: 'latency_p95_ms', label: 'p95', color: '#8a4fd1' },
];

function hourLabel(iso: string, range: StatsRange): string {
  const date = new Date(iso);
  const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return range === '24h' ? time : `${date.toLocaleDateString([], { weekday: 'short' })} ${date.getHours() === 0 ? '' : time}`.trim();
}

function summary(hours: DeliveryStatsHour[]) {
  const total = (key: 'succeeded' | 'failed' | 'retrying') => hours.reduce((sum, hour) => sum + hour[key], 0);
  const slowest = Math.max(0, ...hours.map((hour) => hour.latency_p95_ms ?? 0));
  return { succeeded: total('succeeded'), failed: total('failed'), retrying: total('retrying'), slowest };
}

export function DeliveryCharts({ subscriptionId, tick }: { subscriptionId: string; tick: number }) {
  const [range, setRange] = useState<StatsRange>('24h');
  const stats = useAsync((signal) => webhooksApi.stats(subscriptionId, range, signal), [subscriptionId, range, tick]);
  const span = range === '24h' ? 'the last 24 hours' : 'the last 7 days';

  let body;
  if (stats.error) body = <ErrorState error={stats.error} onRetry={stats.reload} />;
  else if (!stats.data) body = <Loading label="Loading charts…" />;
  else {
    const hours = stats.data.data;
    const labels = hours.map((hour) => hourLabel(hour.hour_start, range));
    const totals = summary(hours);
    body = (
      <>
        <h3>Deliveries per hour</h3>
        <Legend series={OUTCOMES} />
        <StackedBars
          testId="deliveries-chart"
          title={`Deliveries per hour over ${span}`}
          description={`${totals.succeeded} succeeded, ${totals.retrying} retrying and ${totals.failed} failed over ${span}, by the hour they were created.`}
          labels={labels}
          series={OUTCOMES}
          rows={hours}
        />
        <h3>Attempt latency</h3>
        <Legend series={LATENCY} />
        <Lines
          testId="latency-chart"
          title={`Attempt latency per hour over ${span}, median and 95th percentile`}
          description={totals.slowest > 0 ? `The slowest hourly 95th percentile was ${totals.slowest} ms.` : 'No attempts in this period.'}
          labels={labels}
          series={LATENCY}
          rows={hours}
          unit=" ms"
        />
        <details className="chart-table">
          <summary>Show as a table</summary>
          <table data-testid="delivery-stats-table">
            <thead>
              <tr><th scope="col">Hour</th><th scope="col">Succeeded</th><th scope="col">Retrying</th><th scope="col">Failed</th><th scope="col">Attempts</th><th scope="col">p50</th><th scope="col">p95</th></tr>
            </thead>
            <tbody>
              {hours.filter((hour) => hour.attempts + hour.succeeded + hour.failed + hour.retrying > 0).map((hour) => (
                <tr key={hour.hour_start}>
                  <th scope="row">{new Date(hour.hour_start).toLocaleString()}</th>
                  <td>{hour.succeeded}</td><td>{hour.retrying}</td><td>{hour.failed}</td><td>{hour.attempts}</td>
                  <td>{hour.latency_p50_ms === null ? '—' : `${hour.latency_p50_ms} ms`}</td>
                  <td>{hour.latency_p95_ms === null ? '—' : `${hour.latency_p95_ms} ms`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </>
    );
  }

  return (
    <section className="card" aria-labelledby="endpoint-charts" data-testid="endpoint-charts">
      <div className="section-header">
        <h2 id="endpoint-charts">Activity</h2>
        <div className="segmented" role="group" aria-label="Period">
          {(['24h', '7d'] as const).map((option) => (
            <button key={option} type="button" aria-pressed={range === option} onClick={() => setRange(option)}>
              {option === '24h' ? '24 hours' : '7 days'}
            </button>
          ))}
        </div>
      </div>
      {body}
    </section>
  );
}

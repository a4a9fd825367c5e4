// Requests per hour of one key, stacked by outcome, with the key's hourly limit as a line. SVG,
// with a title and description for screen readers and the same numbers as a table below it.
import { useId } from 'react';
import type { ApiUsage, ApiUsageBucket } from '../../api/types.ts';

const nf = new Intl.NumberFormat();

export const OUTCOMES = [
  { field: 'succeeded', label: 'Succeeded (2xx)', className: 'outcome-ok' },
  { field: 'client_errors', label: 'Client errors (4xx)', className: 'outcome-client' },
  { field: 'rate_limited', label: 'Rate limited (429)', className: 'outcome-limited' },
  { field: 'server_errors', label: 'Server errors (5xx)', className: 'outcome-server' },
] as const satisfies readonly { field: keyof ApiUsageBucket; label: string; className: string }[];

const WIDTH = 720;
const HEIGHT = 220;
const PAD = { top: 12, right: 12, bottom: 26, left: 48 };
const PLOT_W = WIDTH - PAD.left - PAD.right;
const PLOT_H = HEIGHT - PAD.top - PAD.bottom;
/** Below this share of the limit, the bars would be flat under a limit line: the scale follows the bars, and the limit is named instead. */
const LIMIT_IN_SCALE_FROM = 0.2;

const hourLabel = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
const dayLabel = (iso: string) => new Date(iso).toLocaleDateString([], { weekday: 'short', day: 'numeric' });
export const bucketLabel = (iso: string) => new Date(iso).toLocaleString([], { weekday: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

function describe(bucket: ApiUsageBucket): string {
  const parts = OUTCOMES.filter((o) => bucket[o.field] > 0).map((o) => `${nf.format(bucket[o.field])} ${o.label.toLowerCase()}`);
  return `${bucketLabel(bucket.start)}: ${nf.format(bucket.requests)} requests${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

/** A round number at or above `value`, for the top of the axis. */
function niceCeiling(value: number): number {
  if (value <= 5) return 5;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * magnitude >= value)!;
  return step * magnitude;
}

export function UsageChart({ usage, keyName }: { usage: ApiUsage; keyName: string }) {
  const id = useId();
  const buckets = usage.data;
  const peak = Math.max(0, ...buckets.map((b) => b.requests));
  const total = buckets.reduce((sum, b) => sum + b.requests, 0);
  const limitInScale = peak >= usage.hourly_limit * LIMIT_IN_SCALE_FROM;
  const top = niceCeiling(limitInScale ? Math.max(peak, usage.hourly_limit) * 1.05 : peak * 1.15);
  const y = (value: number) => PAD.top + PLOT_H - (value / top) * PLOT_H;
  const slot = PLOT_W / Math.max(1, buckets.length);
  const barWidth = Math.max(1, slot * 0.8);
  const days = buckets.length > 48;
  // An x label every 6 hours, or at each midnight (local) over several days.
  const labelled = buckets.map((b, i) => (days ? new Date(b.start).getHours() === 0 : i % 6 === 0));

  return (
    <figure className="usage-chart" data-testid="usage-chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={`${id}-title ${id}-desc`}>
        <title id={`${id}-title`}>{`Requests per hour for ${keyName}`}</title>
        <desc id={`${id}-desc`}>
          {`${nf.format(total)} requests from ${bucketLabel(usage.from)} to ${bucketLabel(usage.to)}; the busiest hour had ${nf.format(peak)}; the key's limit is ${nf.format(usage.hourly_limit)} per hour.`}
        </desc>
        {[0, top / 2, top].map((tick) => (
          <g key={tick} className="axis">
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} />
            <text x={PAD.left - 6} y={y(tick) + 4} textAnchor="end">{nf.format(tick)}</text>
          </g>
        ))}
        {buckets.map((bucket, i) => {
          let base = 0;
          const x = PAD.left + i * slot + (slot - barWidth) / 2;
          return (
            <g key={bucket.start} data-requests={bucket.requests}>
              <title>{describe(bucket)}</title>
              {OUTCOMES.map((o) => {
                const count = bucket[o.field];
                if (count === 0) return null;
                const rect = <rect key={o.field} className={o.className} x={x} width={barWidth} y={y(base + count)} height={y(base) - y(base + count)} />;
                base += count;
                return rect;
              })}
              {labelled[i] && (
                <text className="axis" x={x + barWidth / 2} y={HEIGHT - 8} textAnchor="middle">{days ? dayLabel(bucket.start) : hourLabel(bucket.start)}</text>
              )}
            </g>
          );
        })}
        {limitInScale && (
          <g className="limit-line" data-testid="usage-limit-line">
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(usage.hourly_limit)} y2={y(usage.hourly_limit)} />
            <text x={PAD.left + 4} y={y(usage.hourly_limit) - 4}>{`Limit ${nf.format(usage.hourly_limit)}/h`}</text>
          </g>
        )}
      </svg>
      <figcaption>
        <ul className="legend">
          {OUTCOMES.map((o) => (
            <li key={o.field}><span className={`swatch ${o.className}`} aria-hidden="true" />{o.label}</li>
          ))}
          <li><span className="swatch swatch-limit" aria-hidden="true" />
            {limitInScale ? `Hourly limit (${nf.format(usage.hourly_limit)})` : `Hourly limit ${nf.format(usage.hourly_limit)}, far above this range's busiest hour`}
          </li>
        </ul>
      </figcaption>
      <details className="chart-table">
        <summary>Show as a table</summary>
        <div className="table-wrap">
          <table className="table" aria-label={`Requests per hour for ${keyName}`}>
            <thead>
              <tr>
                <th scope="col">Hour</th>
                <th scope="col">Requests</th>
                {OUTCOMES.map((o) => <th key={o.field} scope="col">{o.label}</th>)}
              </tr>
            </thead>
            <tbody>
              {buckets.filter((b) => b.requests > 0).map((b) => (
                <tr key={b.start}>
                  <th scope="row">{bucketLabel(b.start)}</th>
                  <td>{nf.format(b.requests)}</td>
                  {OUTCOMES.map((o) => <td key={o.field}>{nf.format(b[o.field])}</td>)}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

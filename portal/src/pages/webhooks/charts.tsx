// Small SVG charts, no library: a stacked bar chart and a line chart over hourly buckets. Each
// is an image with a title and a description (what a screen reader announces), and the numbers
// are in a table beside it (DeliveryCharts.tsx).
import { useId } from 'react';

export interface Series {
  key: string;
  label: string;
  color: string;
}

/** A row of the chart: one bucket, its values under the series' keys (null: no value). */
export type Row = Readonly<Record<string, unknown>>;
const valueOf = (row: Row, key: string): number | null => (typeof row[key] === 'number' ? (row[key] as number) : null);

const WIDTH = 720;
const HEIGHT = 180;
const PAD = { top: 10, right: 8, bottom: 22, left: 40 };

/** A round maximum for the y axis (1, 2, 5 × 10ⁿ), never 0. */
function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((m) => m * power >= value)!;
  return step * power;
}

interface Frame {
  x: (i: number) => number;
  y: (v: number) => number;
  band: number;
}

function frame(count: number, max: number): Frame {
  const innerW = WIDTH - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const band = innerW / Math.max(count, 1);
  return { x: (i) => PAD.left + i * band, y: (v) => PAD.top + innerH - (v / max) * innerH, band };
}

function Axes({ labels, max, unit, f }: { labels: string[]; max: number; unit: string; f: Frame }) {
  // At most about 8 labels along the x axis.
  const every = Math.max(1, Math.ceil(labels.length / 8));
  return (
    <g className="chart-axes" aria-hidden="true">
      {[0, 0.5, 1].map((share) => (
        <g key={share}>
          <line x1={PAD.left} x2={WIDTH - PAD.right} y1={f.y(max * share)} y2={f.y(max * share)} className="chart-grid" />
          {Number.isInteger(max * share) && <text x={PAD.left - 4} y={f.y(max * share) + 4} textAnchor="end">{`${max * share}${unit}`}</text>}
        </g>
      ))}
      {labels.map((label, i) => (i % every === 0 ? <text key={i} x={f.x(i) + f.band / 2} y={HEIGHT - 6} textAnchor="middle">{label}</text> : null))}
    </g>
  );
}

export function StackedBars({ title, description, labels, series, rows, testId }: {
  title: string;
  description: string;
  labels: string[];
  series: Series[];
  rows: readonly Row[];
  testId?: string;
}) {
  const id = useId();
  const max = niceMax(Math.max(0, ...rows.map((row) => series.reduce((sum, s) => sum + (valueOf(row, s.key) ?? 0), 0))));
  const f = frame(rows.length, max);
  return (
    <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} className="chart" role="img" aria-labelledby={`${id}-t ${id}-d`} data-testid={testId}>
      <title id={`${id}-t`}>{title}</title>
      <desc id={`${id}-d`}>{description}</desc>
      <Axes labels={labels} max={max} unit="" f={f} />
      {rows.map((row, i) => {
        let base = 0;
        return (
          <g key={i}>
            {series.map((s) => {
              const value = valueOf(row, s.key) ?? 0;
              if (value === 0) return null;
              const top = f.y(base + value);
              const height = f.y(base) - top;
              base += value;
              return <rect key={s.key} x={f.x(i) + f.band * 0.1} width={Math.max(f.band * 0.8, 1)} y={top} height={height} fill={s.color} data-series={s.key} />;
            })}
          </g>
        );
      })}
    </svg>
  );
}

export function Lines({ title, description, labels, series, rows, unit, testId }: {
  title: string;
  description: string;
  labels: string[];
  series: Series[];
  rows: readonly Row[];
  unit: string;
  testId?: string;
}) {
  const id = useId();
  const max = niceMax(Math.max(0, ...rows.flatMap((row) => series.map((s) => valueOf(row, s.key) ?? 0))));
  const f = frame(rows.length, max);
  return (
    <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} className="chart" role="img" aria-labelledby={`${id}-t ${id}-d`} data-testid={testId}>
      <title id={`${id}-t`}>{title}</title>
      <desc id={`${id}-d`}>{description}</desc>
      <Axes labels={labels} max={max} unit={unit} f={f} />
      {series.map((s) => {
        // Hours without attempts break the line rather than drawing it through zero.
        const points = rows.map((row, i) => {
          const value = valueOf(row, s.key);
          return value === null ? null : `${f.x(i) + f.band / 2},${f.y(value)}`;
        });
        const segments: string[][] = [[]];
        for (const point of points) {
          if (point === null) segments.push([]);
          else segments.at(-1)!.push(point);
        }
        return (
          <g key={s.key} data-series={s.key}>
            {segments.filter((segment) => segment.length > 1).map((segment, i) => (
              <polyline key={i} points={segment.join(' ')} fill="none" stroke={s.color} strokeWidth={2} />
            ))}
            {segments.filter((segment) => segment.length === 1).map((segment, i) => {
              const [cx, cy] = segment[0]!.split(',');
              return <circle key={i} cx={cx} cy={cy} r={3} fill={s.color} />;
            })}
          </g>
        );
      })}
    </svg>
  );
}

export function Legend({ series }: { series: Series[] }) {
  return (
    <ul className="chart-legend">
      {series.map((s) => (
        <li key={s.key}><span className="swatch" style={{ background: s.color }} aria-hidden="true" />{s.label}</li>
      ))}
    </ul>
  );
}

/** Shapes of the endpoint charts (`GET /portal/api/webhooks/{id}/delivery-stats`). */
import { Type, type Static } from 'typebox';
import { DateTime, Nullable } from '../../lib/schema.ts';

export const STATS_RANGES = ['24h', '7d'] as const;
export type StatsRange = (typeof STATS_RANGES)[number];

export const DeliveryStatsQuery = Type.Object(
  { range: Type.Optional(Type.Enum(STATS_RANGES, { description: 'The last 24 hours (default) or 7 days, in hourly buckets.' })) },
  { additionalProperties: false },
);

const HourSchema = Type.Object(
  {
    hour_start: DateTime('The start of the hour (UTC).'),
    succeeded: Type.Integer({ description: 'Deliveries created this hour that succeeded.' }),
    failed: Type.Integer({ description: 'Deliveries created this hour that failed for good.' }),
    retrying: Type.Integer({ description: 'Deliveries created this hour waiting for another attempt after a failed one.' }),
    attempts: Type.Integer({ description: 'Attempts started this hour.' }),
    latency_p50_ms: Nullable(Type.Integer({ description: 'Median duration of those attempts; null without attempts.' })),
    latency_p95_ms: Nullable(Type.Integer({ description: '95th percentile duration of those attempts; null without attempts.' })),
  },
  { title: 'DeliveryStatsHour' },
);

export const DeliveryStatsSchema = Type.Object(
  {
    subscription_id: Type.String(),
    range: Type.Enum(STATS_RANGES),
    bucket_seconds: Type.Integer(),
    from: DateTime(),
    to: DateTime(),
    data: Type.Array(HourSchema, { description: 'Every hour of the range, oldest first; the last one is the current, partial hour.' }),
  },
  { title: 'DeliveryStats' },
);
export type DeliveryStats = Static<typeof DeliveryStatsSchema>;

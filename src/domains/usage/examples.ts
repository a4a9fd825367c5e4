/** The OpenAPI examples of the usage and request log schemas (src/http/openapi-examples.ts). */
import { EXAMPLE_REQUEST_ID } from '../events/catalog-examples.ts';
import type { RequestLog, Usage, UsageBucket } from './schemas.ts';

const KEY_ID = 'key_01jd5h3k4m5n6p7q8r9s0t1v2w';

const bucket = (start: string, succeeded: number, clientErrors: number, rateLimited: number, serverErrors: number): UsageBucket => ({
  start,
  requests: succeeded + clientErrors + rateLimited + serverErrors,
  succeeded,
  client_errors: clientErrors,
  rate_limited: rateLimited,
  server_errors: serverErrors,
});

const usageBuckets = [
  bucket('2026-03-14T13:00:00.000Z', 412, 3, 0, 0),
  bucket('2026-03-14T14:00:00.000Z', 981, 7, 12, 1),
  bucket('2026-03-14T15:00:00.000Z', 233, 0, 0, 0),
];

const usage: Usage = {
  key_id: KEY_ID,
  granularity: 'hour',
  from: '2026-03-14T13:00:00.000Z',
  to: '2026-03-14T16:00:00.000Z',
  hourly_limit: 1000,
  data: usageBuckets,
};

const requestLog: RequestLog = {
  id: 'reqlog_01jd5m0d9d6v3fw8p3n4q7r2s1',
  key_id: KEY_ID,
  method: 'GET',
  path: '/api/v1/leads?status=new&limit=50',
  status: 200,
  duration_ms: 12.4,
  request_id: EXAMPLE_REQUEST_ID,
  client_ip: '203.0.113.24',
  created_at: '2026-03-14T15:09:26.535Z',
};

export const USAGE_SCHEMA_EXAMPLES = {
  ApiUsage: usage,
  ApiUsageBucket: usageBuckets[1],
  RequestLog: requestLog,
};

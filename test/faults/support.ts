import { randomBytes } from 'node:crypto';
import { Agent, request } from 'undici';
import { startProcess, waitReady, type ServiceProcess, tempDataDir } from '../core/service-process.ts';
import { TEST_ADMIN_TOKEN } from '../support/app.ts';
export { until } from '../support/eventually.ts';

export const adminHeaders = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' };

/** Enough sockets that a burst really is concurrent, not queued behind a few connections. */
export const burstAgent = new Agent({ connections: 512, pipelining: 1 });

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

export async function call(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Reply> {
  const response = await request(url, {
    method: (init.method ?? 'GET') as 'GET',
    headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    dispatcher: burstAgent,
  });
  const text = await response.body.text();
  let body: Record<string, unknown>;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { text };
  }
  return { status: response.statusCode, headers: response.headers, body };
}

/** A FARO process on PostgreSQL (and Redis when given), as production runs it. */
export async function startOnPostgres(options: { databaseUrl: string; redisUrl?: string; role?: 'all' | 'api' | 'worker'; env?: Record<string, string>; wait?: boolean }): Promise<ServiceProcess> {
  const service = await startProcess({
    dataDir: tempDataDir(),
    env: {
      DATABASE_URL: options.databaseUrl,
      ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
      FARO_ROLE: options.role ?? 'all',
      FARO_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      FARO_SECRET_KEY: SECRET_KEY,
      FARO_WEBHOOK_ALLOW_PRIVATE: '1',
      FARO_WEBHOOK_RETRY_JITTER: '0',
      ...options.env,
    },
  });
  if (options.wait !== false && options.role !== 'worker') await waitReady(service);
  return service;
}

// All processes of one test share it, as all instances of one deployment do.
const SECRET_KEY = randomBytes(32).toString('base64');

export async function createEnterpriseKey(baseUrl: string, scopes: string[], rateLimit?: number): Promise<{ agencyId: string; key: string }> {
  const tag = randomBytes(4).toString('hex');
  const agency = await call(`${baseUrl}/admin/v1/agencies`, {
    method: 'POST',
    headers: adminHeaders,
    body: { name: `Fault ${tag}`, tier: 'enterprise', admin_email: `fault-${tag}@agency.test`, admin_password: `pw-${tag}-long-enough`, api_rate_limit: 100_000 },
  });
  if (agency.status !== 201) throw new Error(`create agency: ${agency.status} ${JSON.stringify(agency.body)}`);
  const agencyId = agency.body.id as string;
  const key = await call(`${baseUrl}/admin/v1/agencies/${agencyId}/api-keys`, {
    method: 'POST',
    headers: adminHeaders,
    body: { name: 'fault test', scopes, ...(rateLimit ? { rate_limit: rateLimit } : {}) },
  });
  if (key.status !== 201) throw new Error(`create key: ${key.status} ${JSON.stringify(key.body)}`);
  return { agencyId, key: key.body.key as string };
}

export function isAlive(service: ServiceProcess): boolean {
  return service.child.exitCode === null && service.child.signalCode === null;
}


// Typed calls to the service, one function per endpoint of the contract.
import { api } from './client.ts';
import type {
  ApiKey, ApiKeyList, ApiUsage, AuditAction, AuditEventList, RequestLog, RequestLogList, Delivery, DeliveryDetail, DeliveryList, DeliveryStats,
  EventTypeList, KeyUsage, NewApiKey, NewApiKeyInput, OpenAlert, RecoverResult, RotatedSecret, ScopeList, Session, StatsRange, Subscription,
  SubscriptionInput, SubscriptionList,
  SubscriptionSecret, SubscriptionUpdate, SubscriptionWithSecret, TestOutcome,
} from './types.ts';

const enc = encodeURIComponent;

export const sessionApi = {
  login: (email: string, password: string) =>
    api.post<Session>('/portal/api/session', { email, password }, { quiet401: true }),
  me: () => api.get<Session>('/portal/api/me', { quiet401: true }),
  logout: () => api.delete('/portal/api/session', { quiet401: true }),
};

export const keysApi = {
  list: (signal?: AbortSignal) => api.get<ApiKeyList>('/portal/api/api-keys', { signal }),
  scopes: (signal?: AbortSignal) => api.get<ScopeList>('/portal/api/api-keys/scopes', { signal }),
  create: (input: NewApiKeyInput) =>
    api.post<NewApiKey>('/portal/api/api-keys', input),
  rotate: (id: string, gracePeriodSeconds: number) =>
    api.post<NewApiKey>(`/portal/api/api-keys/${enc(id)}/rotate`, { grace_period_seconds: gracePeriodSeconds }),
  revoke: (id: string) => api.post<ApiKey>(`/portal/api/api-keys/${enc(id)}/revoke`),
  usage: (id: string, signal?: AbortSignal) => api.get<KeyUsage>(`/portal/api/api-keys/${enc(id)}/usage`, { signal }),
};

export interface DeliveryFilter {
  status?: string;
  event_type?: string;
  cursor?: string | null;
  limit?: number;
}

export const webhooksApi = {
  eventTypes: (signal?: AbortSignal) => api.get<EventTypeList>('/api/v1/webhooks/event-types', { signal }),
  list: (cursor: string | null, signal?: AbortSignal) =>
    api.get<SubscriptionList>('/api/v1/webhooks', { query: { limit: 100, cursor }, signal }),
  get: (id: string, signal?: AbortSignal) => api.get<Subscription>(`/api/v1/webhooks/${enc(id)}`, { signal }),
  create: (input: SubscriptionInput) => api.post<SubscriptionWithSecret>('/api/v1/webhooks', input),
  update: (id: string, input: SubscriptionUpdate) => api.patch<Subscription>(`/api/v1/webhooks/${enc(id)}`, input),
  remove: (id: string) => api.delete(`/api/v1/webhooks/${enc(id)}`),
  secret: (id: string) => api.get<SubscriptionSecret>(`/api/v1/webhooks/${enc(id)}/secret`),
  rotateSecret: (id: string) => api.post<RotatedSecret>(`/api/v1/webhooks/${enc(id)}/rotate-secret`),
  test: (id: string, eventType: string) => api.post<TestOutcome>(`/api/v1/webhooks/${enc(id)}/test`, { event_type: eventType }),
  deliveries: (id: string, filter: DeliveryFilter, signal?: AbortSignal) =>
    api.get<DeliveryList>(`/api/v1/webhooks/${enc(id)}/deliveries`, {
      query: { status: filter.status, event_type: filter.event_type, cursor: filter.cursor, limit: filter.limit ?? 25 },
      signal,
    }),
  delivery: (id: string, signal?: AbortSignal) => api.get<DeliveryDetail>(`/api/v1/webhook-deliveries/${enc(id)}`, { signal }),
  redeliver: (id: string) => api.post<Delivery>(`/api/v1/webhook-deliveries/${enc(id)}/retry`),
  recover: (id: string, since: string) => api.post<RecoverResult>(`/api/v1/webhooks/${enc(id)}/recover`, { since }),
  stats: (id: string, range: StatsRange, signal?: AbortSignal) =>
    api.get<DeliveryStats>(`/portal/api/webhooks/${enc(id)}/delivery-stats`, { query: { range }, signal }),
};

export const alertsApi = {
  open: (signal?: AbortSignal) => api.get<{ data: OpenAlert[] }>('/portal/api/alerts', { signal }).then((r) => r.data),
};

export interface AuditFilter {
  /** Only these actions (none: every action). */
  action?: readonly AuditAction[];
  created_since?: string;
  created_before?: string;
  cursor?: string | null;
  limit?: number;
}

export const auditApi = {
  list: (filter: AuditFilter, signal?: AbortSignal) =>
    api.get<AuditEventList>('/api/v1/audit-events', {
      query: { action: filter.action, created_since: filter.created_since, created_before: filter.created_before, cursor: filter.cursor, limit: filter.limit ?? 25 },
      signal,
    }),
};

export interface RequestLogFilter {
  key_id?: string;
  /** One status (`404`) or a class (`4xx`). */
  status?: string;
  /** Path prefix, e.g. `/api/v1/leads`. */
  path?: string;
  created_since?: string;
  created_before?: string;
  cursor?: string | null;
  limit?: number;
}

export const usageApi = {
  /** Hourly usage of one key: the last `hours` hours, the current one included. */
  hourly: (keyId: string, hours: number, signal?: AbortSignal) =>
    api.get<ApiUsage>('/api/v1/usage', {
      query: { key_id: keyId, granularity: 'hour', from: new Date(Date.now() - (hours - 1) * 3600_000).toISOString() },
      signal,
    }),
  requestLogs: (filter: RequestLogFilter, signal?: AbortSignal) =>
    api.get<RequestLogList>('/api/v1/request-logs', {
      query: {
        key_id: filter.key_id, status: filter.status, path: filter.path, created_since: filter.created_since, created_before: filter.created_before,
        cursor: filter.cursor, limit: filter.limit ?? 50,
      },
      signal,
    }),
  requestLog: (id: string, signal?: AbortSignal) => api.get<RequestLog>(`/api/v1/request-logs/${enc(id)}`, { signal }),
};

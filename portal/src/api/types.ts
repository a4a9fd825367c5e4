// Shapes of the service's JSON, as pinned in docs/internal/http-contract.md.

export type Role = 'owner' | 'admin' | 'member';
export type Tier = 'starter' | 'growth' | 'scale' | 'enterprise';

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
}

export interface Agency {
  id: string;
  name: string;
  tier: Tier;
  api_rate_limit: number | null;
}

export interface Session {
  user: User;
  agency: Agency;
  csrf_token: string;
}

export interface FieldError {
  path: string;
  message: string;
}

export interface List<T> {
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

export interface Actor {
  id: string;
  email: string;
}

export type ApiKeyStatus = 'active' | 'expiring' | 'revoked' | 'expired';

export interface ApiKey {
  id: string;
  name: string;
  masked_key: string;
  scopes: string[];
  status: ApiKeyStatus;
  rate_limit: number;
  custom_rate_limit?: number | null;
  created_at: string;
  created_by: Actor | null;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  replaced_by: string | null;
}

/** Returned by create and rotate: the only time the full key is ever sent. */
export interface NewApiKey extends ApiKey {
  key: string;
}

export interface ScopeInfo {
  scope: string;
  description: string;
}

export interface KeyUsage {
  limit: number;
  used: number;
  remaining: number;
  window_seconds: number;
  reset_seconds: number;
}

export type AuditAction =
  | 'api_key.created' | 'api_key.rotated' | 'api_key.revoked'
  | 'webhook.created' | 'webhook.updated' | 'webhook.deleted'
  | 'webhook.secret_revealed' | 'webhook.secret_rotated' | 'webhook.recovered'
  | 'webhook_delivery.redelivered';

/** One entry of GET /api/v1/audit-events. */
export interface AuditEvent {
  id: string;
  action: AuditAction;
  actor: { type: 'user' | 'api_key' | 'operator'; id: string | null; label: string | null };
  target: { type: 'api_key' | 'webhook_subscription' | 'webhook_delivery'; id: string; label: string | null };
  request_id: string | null;
  details: Record<string, unknown>;
  created_at: string;
}

export interface EventType {
  type: string;
  description: string;
  schema?: unknown;
}

export interface SubscriptionHealth {
  deliveries_24h: number;
  succeeded_24h: number;
  failed_24h: number;
  success_rate_24h: number | null;
  last_delivery_status: string | null;
  last_delivery_at: string | null;
}

export interface Subscription {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  disabled_reason: string | null;
  created_at: string;
  updated_at: string;
  health: SubscriptionHealth;
}

export interface SubscriptionInput {
  url: string;
  events: string[];
  description?: string;
  enabled?: boolean;
}

export interface RotatedSecret {
  secret: string;
  previous_secret_expires_at: string | null;
}

export type ErrorKind = 'timeout' | 'connection' | 'dns' | 'tls' | 'ssrf_blocked' | 'http_status';

export interface TestOutcome {
  delivery_id: string;
  success: boolean;
  status_code: number | null;
  duration_ms: number;
  response_body_excerpt: string | null;
  error_kind: ErrorKind | null;
  error_message: string | null;
}

export type DeliveryStatus = 'pending' | 'delivering' | 'succeeded' | 'failed' | 'cancelled';

export interface Delivery {
  id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: string | null;
  is_test: boolean;
  created_at: string;
}

export interface Attempt {
  id: string;
  attempt_number: number;
  started_at: string;
  duration_ms: number | null;
  request_headers: Record<string, string>;
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body_excerpt: string | null;
  error_kind: ErrorKind | null;
  error_message: string | null;
}

/** The detail replaces the list's attempt count with the attempts themselves (oldest first). */
export interface DeliveryDetail extends Omit<Delivery, 'attempts'> {
  attempts: Attempt[];
  payload: unknown;
}

import type { ColumnType, Generated, Insertable, Kysely, Selectable, Transaction } from 'kysely';

/** A timestamptz column: read as Date, written as Date or ISO string, defaulted by the database. */
export type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
export type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** numeric is read as a string by both drivers; never as a float that could lose cents. */
export type Numeric = ColumnType<string | null, string | number | null | undefined, string | number | null>;
/** jsonb: written as a JSON string parameter, read back parsed. */
export type Json<T> = ColumnType<T, string, string>;

export type Tier = 'starter' | 'growth' | 'scale' | 'enterprise';
export type Role = 'owner' | 'admin' | 'member';

export interface AgenciesTable {
  id: string;
  name: string;
  tier: Tier;
  api_rate_limit: number | null;
  /** Cap on active API keys; null = DEFAULT_MAX_API_KEYS. */
  max_api_keys: number | null;
  /** Set on a test-mode sandbox: the live agency it belongs to. Null for a live agency. */
  live_agency_id: ColumnType<string | null, string | null | undefined, never>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface UsersTable {
  id: string;
  agency_id: string;
  email: string;
  name: Generated<string>;
  password_hash: string;
  role: Role;
  created_at: CreatedAt;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  agency_id: string;
  csrf_token: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

export interface LocationsTable {
  id: string;
  agency_id: string;
  name: string;
  address_line1: string;
  city: string;
  region: string;
  postal_code: string;
  country: string;
  phone: string | null;
  website: string | null;
  timezone: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ConversationsTable {
  id: string;
  agency_id: string;
  location_id: string;
  channel: 'sms' | 'webchat' | 'google' | 'facebook' | 'email';
  contact_name: string;
  contact_phone: string | null;
  contact_email: string | null;
  status: 'open' | 'closed';
  last_message_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MessagesTable {
  id: string;
  agency_id: string;
  conversation_id: string;
  direction: 'inbound' | 'outbound';
  body: string;
  status: 'received' | 'queued' | 'sent' | 'delivered' | 'failed';
  sent_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface ReviewsTable {
  id: string;
  agency_id: string;
  location_id: string;
  source: 'google' | 'facebook' | 'yelp';
  rating: number;
  author_name: string;
  body: string;
  reply: string | null;
  replied_at: NullableTimestamp;
  published_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type LeadStatus = 'new' | 'contacted' | 'qualified' | 'converted' | 'lost';

export interface LeadsTable {
  id: string;
  agency_id: string;
  location_id: string;
  name: string;
  email: string | null;
  phone: string | null;
  source: string;
  status: LeadStatus;
  value: Numeric;
  notes: string;
  converted_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SyncRunsTable {
  id: string;
  agency_id: string;
  location_id: string;
  provider: 'google' | 'facebook' | 'yelp';
  status: 'running' | 'succeeded' | 'failed';
  error: string | null;
  started_at: Timestamp;
  finished_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface EventsTable {
  id: string;
  agency_id: string;
  type: string;
  data: Json<Record<string, unknown>>;
  /** False for an event of a test-mode sandbox. */
  livemode: Generated<boolean>;
  created_at: Timestamp;
  dispatched_at: NullableTimestamp;
  /** The appending transaction (xid8, read as text): the stream's commit order. */
  tx_id: Generated<string>;
}

export interface WebhookSubscriptionsTable {
  id: string;
  agency_id: string;
  url: string;
  /** A list of event types, or ["*"]. */
  events: Json<string[]>;
  description: Generated<string>;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: NullableTimestamp;
  enabled: Generated<boolean>;
  disabled_reason: string | null;
  disabled_at: NullableTimestamp;
  failing_since: NullableTimestamp;
  deleted_at: NullableTimestamp;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export type DeliveryStatus = 'pending' | 'delivering' | 'succeeded' | 'failed' | 'cancelled';
export type DeliveryErrorKind = 'timeout' | 'connection' | 'dns' | 'tls' | 'ssrf_blocked' | 'http_status' | 'worker_lost';

export interface WebhookDeliveriesTable {
  id: string;
  agency_id: string;
  subscription_id: string;
  event_id: string | null;
  event_type: string;
  payload: string;
  status: ColumnType<DeliveryStatus, DeliveryStatus | undefined, DeliveryStatus>;
  attempts: Generated<number>;
  next_attempt_at: NullableTimestamp;
  locked_until: NullableTimestamp;
  locked_by: string | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: NullableTimestamp;
  is_test: Generated<boolean>;
  /** A pending retry waiting for next_attempt_at; the promoter clears it when that time comes. */
  scheduled: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface WebhookDeliveryAttemptsTable {
  id: string;
  delivery_id: string;
  agency_id: string;
  /** The delivery's subscription and test flag, copied when the attempt is recorded (the endpoint charts read them). */
  subscription_id: string;
  is_test: boolean;
  attempt_number: number;
  started_at: Timestamp;
  duration_ms: number;
  request_headers: Json<Record<string, string>>;
  response_status: number | null;
  response_headers: ColumnType<Record<string, string> | null, string | null | undefined, string | null>;
  response_body_excerpt: string | null;
  error_kind: DeliveryErrorKind | null;
  error_message: string | null;
}

export interface ApiKeysTable {
  id: string;
  agency_id: string;
  key_hash: string;
  name: string;
  scopes: Json<string[]>;
  rate_limit: number | null;
  display_prefix: string;
  display_suffix: string;
  created_by: string | null;
  created_at: Timestamp;
  expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  replaced_by: string | null;
  last_used_at: NullableTimestamp;
}

export type AuditAction =
  | 'api_key.created' | 'api_key.rotated' | 'api_key.revoked'
  | 'webhook.created' | 'webhook.updated' | 'webhook.deleted'
  | 'webhook.secret_revealed' | 'webhook.secret_rotated' | 'webhook.recovered'
  | 'webhook_delivery.redelivered';
export type AuditActorType = 'user' | 'api_key' | 'operator';
export type AuditTargetType = 'api_key' | 'webhook_subscription' | 'webhook_delivery';

export interface AuditLogTable {
  id: string;
  agency_id: string;
  actor_type: AuditActorType;
  /** The user's or the key's id; null for an operator. */
  actor_id: string | null;
  /** The Request-Id of the change; null on entries older than it. */
  request_id: string | null;
  target_type: AuditTargetType;
  target_id: string;
  action: AuditAction;
  /** Never a secret. */
  details: Json<Record<string, unknown>>;
  created_at: Timestamp;
}

export interface IdempotencyKeysTable {
  agency_id: string;
  key: string;
  fingerprint: string;
  state: 'in_progress' | 'completed';
  claim_token: string;
  locked_until: Timestamp;
  response_status: number | null;
  response_body: ColumnType<unknown, string | null | undefined, string | null>;
  created_at: Timestamp;
  expires_at: Timestamp;
}

/** Requests per API key per hour, by outcome; written by src/domains/usage/recorder.ts. */
export interface ApiUsageHourlyTable {
  key_id: string;
  hour: Timestamp;
  agency_id: string;
  succeeded: ColumnType<number, number | undefined, number>;
  client_errors: ColumnType<number, number | undefined, number>;
  rate_limited: ColumnType<number, number | undefined, number>;
  server_errors: ColumnType<number, number | undefined, number>;
}

/** One API request made with a key: never a body, a header or a credential. */
export interface ApiRequestLogTable {
  id: string;
  agency_id: string;
  key_id: string;
  method: string;
  /** The path and query as requested, credentials redacted. */
  path: string;
  status: number;
  duration_ms: number;
  request_id: string;
  client_ip: string | null;
  created_at: Timestamp;
}

export interface SchemaMigrationsTable {
  name: string;
  applied_at: CreatedAt;
}

export type AlertKind = 'endpoint_disabled' | 'endpoint_failing' | 'api_key_expiring' | 'rate_limit_approaching';

export interface OperationalAlertsTable {
  id: string;
  agency_id: string;
  kind: AlertKind;
  subject_id: string;
  details: Json<Record<string, unknown>>;
  event_id: string | null;
  raised_at: Timestamp;
  resolved_at: NullableTimestamp;
}

export interface DB {
  agencies: AgenciesTable;
  users: UsersTable;
  sessions: SessionsTable;
  locations: LocationsTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  reviews: ReviewsTable;
  leads: LeadsTable;
  sync_runs: SyncRunsTable;
  events: EventsTable;
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_delivery_attempts: WebhookDeliveryAttemptsTable;
  idempotency_keys: IdempotencyKeysTable;
  api_usage_hourly: ApiUsageHourlyTable;
  api_request_log: ApiRequestLogTable;
  operational_alerts: OperationalAlertsTable;
  schema_migrations: SchemaMigrationsTable;
}

/** What repositories accept: the database or an open transaction on it. */
export type Executor = Kysely<DB> | Transaction<DB>;
export type Row<T extends keyof DB> = Selectable<DB[T]>;
export type NewRow<T extends keyof DB> = Insertable<DB[T]>;

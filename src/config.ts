import { isIP } from 'node:net';
import path from 'node:path';

/** Every setting the service reads from the environment, parsed and validated once at start. */
export interface Config {
  port: number;
  host: string;
  role: 'all' | 'api' | 'worker';
  databaseUrl: string | undefined;
  dataDir: string;
  redisUrl: string | undefined;
  adminToken: string | undefined;
  secretKey: string | undefined;
  /** Keys that sealed webhook secrets before the last FARO_SECRET_KEY rotation: they only open. */
  previousSecretKeys: string[];
  publicBaseUrl: string;
  logLevel: string;
  demo: 'auto' | 'on' | 'off';
  /** Fastify's trustProxy: off, every hop (true), a hop count, or trusted addresses/CIDRs. */
  trustProxy: boolean | number | string;
  sessionTtlHours: number;
  webhooks: {
    allowPrivate: boolean;
    retryJitter: number;
    autoDisableAfterHours: number;
    maxInFlightPerSubscription: number;
    maxInFlight: number;
    timeoutMs: number;
    /** How long a delivery's lease lasts unless its worker renews it (every quarter of it). */
    leaseMs: number;
    connectTimeoutMs: number;
    pollIntervalMs: number;
  };
  retentionDays: number;
  /** Prometheus `/metrics` on its own listener; off (undefined) unless FARO_METRICS_PORT is set. */
  metrics: { port: number; host: string } | undefined;
  /**
   * Record OpenTelemetry spans and export them over OTLP: on when an OTLP endpoint is set and
   * OTEL_SDK_DISABLED is not true. The SDK reads the other OTEL_* variables itself.
   */
  tracing: boolean;
  /** Usage history and the request log of the public API (src/domains/usage). */
  usage: {
    /** Off: requests are neither counted nor logged (the usage and request log endpoints answer what was recorded before). */
    recording: boolean;
    /** How often each instance writes its counted usage and buffered log rows. */
    flushIntervalMs: number;
    /** Log rows an instance holds while the database is away; beyond it the oldest are dropped. */
    requestLogBuffer: number;
    usageRetentionDays: number;
    requestLogRetentionDays: number;
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function decimal(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a number between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be 1/0, true/false, yes/no or on/off, got "${raw}"`);
}

/**
 * Which proxies to believe about the client address and protocol. A hop count or an address list
 * is the safe choice: trusting every hop lets a client pick its own address in X-Forwarded-For.
 */
function trustProxy(env: Env): boolean | number | string {
  const raw = read(env, 'FARO_TRUST_PROXY');
  if (raw === undefined || ['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  if (['true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (/^\d+$/.test(raw) && Number(raw) <= 10) return Number(raw);
  const entries = raw.split(',').map((entry) => entry.trim());
  if (entries.every((entry) => isIP(entry.split('/')[0] ?? '') !== 0)) return entries.join(',');
  throw new ConfigError(`FARO_TRUST_PROXY must be off, a hop count (1–10), a comma-separated list of proxy addresses/CIDRs, or true; got "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL (${protocols.join(' or ')}), got an unparsable value`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
  }
  return raw;
}

export function loadConfig(env: Env = process.env): Config {
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const adminToken = read(env, 'FARO_ADMIN_TOKEN');
  if (adminToken !== undefined && adminToken.length < 24) {
    throw new ConfigError('FARO_ADMIN_TOKEN must be at least 24 characters');
  }
  const secretKey = read(env, 'FARO_SECRET_KEY');
  if (secretKey !== undefined && Buffer.from(secretKey, 'base64').length !== 32) {
    throw new ConfigError('FARO_SECRET_KEY must be 32 bytes encoded as base64 (openssl rand -base64 32)');
  }
  const previousSecretKeys = (read(env, 'FARO_SECRET_KEY_PREVIOUS') ?? '').split(',').map((key) => key.trim()).filter(Boolean);
  if (previousSecretKeys.some((key) => Buffer.from(key, 'base64').length !== 32)) {
    throw new ConfigError('FARO_SECRET_KEY_PREVIOUS must be a comma-separated list of 32-byte base64 keys (the keys FARO_SECRET_KEY had before)');
  }
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  if (databaseUrl !== undefined && secretKey === undefined) {
    throw new ConfigError('FARO_SECRET_KEY is required with DATABASE_URL (it encrypts webhook secrets at rest)');
  }
  const host = read(env, 'HOST') ?? '127.0.0.1';
  return {
    port,
    host,
    role: oneOf(env, 'FARO_ROLE', ['all', 'api', 'worker'], 'all'),
    databaseUrl,
    dataDir: path.resolve(read(env, 'FARO_DATA_DIR') ?? '.faro'),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    adminToken,
    secretKey,
    previousSecretKeys,
    publicBaseUrl: (url(env, 'PUBLIC_BASE_URL', ['http:', 'https:']) ?? `http://localhost:${port}`).replace(/\/$/, ''),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    demo: oneOf(env, 'FARO_DEMO', ['auto', 'on', 'off'], 'auto'),
    trustProxy: trustProxy(env),
    sessionTtlHours: integer(env, 'FARO_SESSION_TTL_HOURS', 12, 1, 24 * 30),
    webhooks: {
      allowPrivate: flag(env, 'FARO_WEBHOOK_ALLOW_PRIVATE', false),
      retryJitter: decimal(env, 'FARO_WEBHOOK_RETRY_JITTER', 0.2, 0, 0.5),
      autoDisableAfterHours: integer(env, 'FARO_WEBHOOK_AUTO_DISABLE_HOURS', 120, 1, 24 * 90),
      maxInFlightPerSubscription: integer(env, 'FARO_WEBHOOK_MAX_IN_FLIGHT_PER_SUBSCRIPTION', 10, 1, 1000),
      maxInFlight: integer(env, 'FARO_WEBHOOK_MAX_IN_FLIGHT', 200, 1, 10000),
      timeoutMs: integer(env, 'FARO_WEBHOOK_TIMEOUT_MS', 15000, 100, 120000),
      leaseMs: integer(env, 'FARO_WEBHOOK_LEASE_MS', 5000, 200, 600000),
      connectTimeoutMs: integer(env, 'FARO_WEBHOOK_CONNECT_TIMEOUT_MS', 5000, 100, 60000),
      pollIntervalMs: integer(env, 'FARO_WEBHOOK_POLL_INTERVAL_MS', 5000, 50, 600000),
    },
    retentionDays: integer(env, 'FARO_RETENTION_DAYS', 30, 1, 3650),
    metrics: metricsListener(env, port, host),
    tracing: tracingRequested(env),
    usage: {
      recording: flag(env, 'FARO_USAGE_RECORDING', true),
      flushIntervalMs: integer(env, 'FARO_USAGE_FLUSH_INTERVAL_MS', 5000, 50, 600000),
      requestLogBuffer: integer(env, 'FARO_REQUEST_LOG_BUFFER', 20000, 100, 1000000),
      usageRetentionDays: integer(env, 'FARO_USAGE_RETENTION_DAYS', 30, 1, 3650),
      requestLogRetentionDays: integer(env, 'FARO_REQUEST_LOG_RETENTION_DAYS', 7, 1, 365),
    },
  };
}

/** The metrics listener: never the public port; bound where the app is unless FARO_METRICS_HOST says otherwise. */
function metricsListener(env: Env, port: number, host: string): Config['metrics'] {
  if (read(env, 'FARO_METRICS_PORT') === undefined) return undefined;
  const metricsPort = integer(env, 'FARO_METRICS_PORT', 0, 0, 65535);
  if (metricsPort !== 0 && metricsPort === port) {
    throw new ConfigError(`FARO_METRICS_PORT must differ from PORT (${port}): metrics are never served on the public port`);
  }
  return { port: metricsPort, host: read(env, 'FARO_METRICS_HOST') ?? host };
}

/** The OTLP endpoint variables, read as the OpenTelemetry SDK reads them (any value, `true` case-insensitive). */
function tracingRequested(env: Env): boolean {
  const endpoint = read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') ?? read(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  return endpoint !== undefined && read(env, 'OTEL_SDK_DISABLED')?.toLowerCase() !== 'true';
}

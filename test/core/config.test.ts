import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const KEY = randomBytes(32).toString('base64');
const OLD_KEY = randomBytes(32).toString('base64');

function rejection(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('starts from sensible defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      role: 'all',
      databaseUrl: undefined,
      redisUrl: undefined,
      dataDir: path.resolve('.faro'),
      demo: 'auto',
      trustProxy: false,
      publicBaseUrl: 'http://localhost:3000',
    });
  });

  it('reads valid values', () => {
    const config = loadConfig({
      PORT: '8080',
      FARO_ROLE: 'worker',
      DATABASE_URL: 'postgres://faro@db.internal:5432/faro',
      REDIS_URL: 'rediss://cache.internal:6380',
      FARO_SECRET_KEY: KEY,
      FARO_SECRET_KEY_PREVIOUS: ` ${OLD_KEY} , ${KEY}`,
      FARO_TRUST_PROXY: 'yes',
      PUBLIC_BASE_URL: 'https://faro.example/',
      FARO_DATA_DIR: '  /var/lib/faro  ',
    });
    expect(config).toMatchObject({
      port: 8080,
      role: 'worker',
      databaseUrl: 'postgres://faro@db.internal:5432/faro',
      redisUrl: 'rediss://cache.internal:6380',
      secretKey: KEY,
      previousSecretKeys: [OLD_KEY, KEY],
      trustProxy: true,
      publicBaseUrl: 'https://faro.example',
      dataDir: '/var/lib/faro',
    });
  });

  it('reads FARO_TRUST_PROXY as off, a hop count, trusted addresses, or every hop', () => {
    expect(loadConfig({ FARO_TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ FARO_TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ FARO_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ FARO_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toBe('10.0.0.0/8,127.0.0.1');
    expect(loadConfig({ FARO_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
  });

  it('turns tracing on only with an OTLP endpoint, and off again with OTEL_SDK_DISABLED=true', () => {
    expect(loadConfig({}).tracing).toBe(false);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }).tracing).toBe(false);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing).toBe(true);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }).tracing).toBe(true);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'TRUE' }).tracing).toBe(false);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'false' }).tracing).toBe(true);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '  ' })).toMatchObject({ port: 3000, databaseUrl: undefined });
  });

  const bad: [string, Record<string, string>, RegExp?][] = [
    ['PORT', { PORT: 'abc' }, /abc/],
    ['PORT', { PORT: '3000.5' }],
    ['PORT', { PORT: '70000' }, /65535/],
    ['PORT', { PORT: '-1' }],
    ['FARO_ROLE', { FARO_ROLE: 'x' }, /all, api, worker/],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://root@localhost/faro', FARO_SECRET_KEY: KEY }, /mysql/],
    ['DATABASE_URL', { DATABASE_URL: 'not a url', FARO_SECRET_KEY: KEY }],
    ['REDIS_URL', { REDIS_URL: 'nope' }],
    ['REDIS_URL', { REDIS_URL: 'http://localhost:6379' }],
    ['FARO_SECRET_KEY', { FARO_SECRET_KEY: randomBytes(16).toString('base64') }, /32 bytes/],
    ['FARO_SECRET_KEY', { FARO_SECRET_KEY: randomBytes(48).toString('base64') }],
    ['FARO_SECRET_KEY', { FARO_SECRET_KEY: 'not base64 at all!!' }],
    ['FARO_SECRET_KEY_PREVIOUS', { FARO_SECRET_KEY_PREVIOUS: `${KEY},${randomBytes(16).toString('base64')}` }, /comma-separated/],
    ['FARO_SECRET_KEY', { DATABASE_URL: 'postgres://faro@db.internal/faro' }, /required with DATABASE_URL/],
    ['FARO_ADMIN_TOKEN', { FARO_ADMIN_TOKEN: 'short' }, /24/],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['FARO_DEMO', { FARO_DEMO: 'maybe' }],
    ['FARO_TRUST_PROXY', { FARO_TRUST_PROXY: 'sometimes' }],
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'ftp://faro.example' }],
    ['FARO_SESSION_TTL_HOURS', { FARO_SESSION_TTL_HOURS: '0' }],
    ['FARO_WEBHOOK_RETRY_JITTER', { FARO_WEBHOOK_RETRY_JITTER: 'lots' }],
    ['FARO_WEBHOOK_TIMEOUT_MS', { FARO_WEBHOOK_TIMEOUT_MS: '10' }],
  ];

  it.each(bad)('rejects a bad %s with a message naming it: %j', (name, env, detail) => {
    const error = rejection(env);
    expect(error.message).toContain(name);
    if (detail) expect(error.message).toMatch(detail);
  });

  it('never echoes a rejected secret back in the message', () => {
    const secret = 'c2hvcnQtYnV0LXNlY3JldA==';
    expect(rejection({ FARO_SECRET_KEY: secret }).message).not.toContain(secret);
    expect(rejection({ FARO_ADMIN_TOKEN: 'hunter2' }).message).not.toContain('hunter2');
    const dbPassword = 's3cr3t-pw';
    expect(rejection({ DATABASE_URL: `mysql://root:${dbPassword}@localhost/faro`, FARO_SECRET_KEY: KEY }).message).not.toContain(dbPassword);
  });
});

import type { App } from '../../src/http/app-type.ts';
import { adminHeaders, type PortalLogin } from './fixtures.ts';

/** A GET any key with locations:read may call; the probe for authentication and rate limits. */
export const PROBE = '/api/v1/locations';

/** An API key as the API shows it; `key`, the secret, only in the answer that created or rotated it. */
export interface NewKey {
  id: string;
  key: string;
  status: string;
  [field: string]: unknown;
}

export interface CreatedKey extends NewKey {
  /** Bearer headers of the new key, for calls to the public API. */
  headers: Record<string, string>;
}

export interface KeyOptions {
  /** Default: locations:read, enough for PROBE. */
  scopes?: readonly string[];
  name?: string;
  rate_limit?: number;
  expires_at?: string;
  /** Operators only: a test-mode key (`faro_test_…`) of the agency's sandbox. */
  mode?: 'live' | 'test';
}

/**
 * Create an API key as the product does: by the operator for an agency id (the admin API), or by
 * a portal user with their session. Returns the key as created, secret included, once.
 */
export async function createApiKey(app: App, creator: string | PortalLogin, options: KeyOptions = {}): Promise<CreatedKey> {
  const byOperator = typeof creator === 'string';
  const response = await app.inject({
    method: 'POST',
    url: byOperator ? `/admin/v1/agencies/${creator}/api-keys` : '/portal/api/api-keys',
    headers: byOperator ? adminHeaders : creator.headers,
    payload: { name: 'test key', scopes: ['locations:read'], ...options },
  });
  if (response.statusCode !== 201) throw new Error(`createApiKey failed: ${response.statusCode} ${response.body}`);
  const created = response.json<NewKey>();
  return { ...created, headers: { authorization: `Bearer ${created.key}` } };
}

/** A public API request authenticated with this key (the probe unless another URL is given). */
export function withKey(key: string, url = PROBE) {
  return { method: 'GET' as const, url, headers: { authorization: `Bearer ${key}` } };
}

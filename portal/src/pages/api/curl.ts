// The first request a key can make, as a curl command: the "try it" of Settings → API.

/** A GET each read scope allows, in the order a newcomer would try them (locations first). */
const FIRST_REQUEST_BY_SCOPE: readonly (readonly [scope: string, path: string])[] = [
  ['locations:read', '/locations'],
  ['conversations:read', '/conversations'],
  ['messages:read', '/messages'],
  ['reviews:read', '/reviews'],
  ['leads:read', '/leads'],
  ['webhooks:read', '/webhooks'],
  ['events:read', '/events'],
  ['audit:read', '/audit-events'],
  ['usage:read', '/request-logs'],
];

export function apiBaseUrl(): string {
  return `${window.location.origin}/api/v1`;
}

/** The path of a GET that `scopes` allow, or null for a key that can only write. */
export function firstReadablePath(scopes: readonly string[]): string | null {
  return FIRST_REQUEST_BY_SCOPE.find(([scope]) => scopes.includes(scope))?.[1] ?? null;
}

export function curlCommand(key: string, path: string): string {
  return `curl -H "Authorization: Bearer ${key}" ${apiBaseUrl()}${path}`;
}

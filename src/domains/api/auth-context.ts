import type { Role, Tier } from '../../db/types.ts';
import { ApiError } from '../../kit/errors.ts';

/** Every scope an API key can carry, with the words the portal shows for it. */
export const SCOPE_DESCRIPTIONS = {
  'locations:read': 'Read locations (business listings), and sync.failed events and their webhooks.',
  'conversations:read': 'Read inbox conversations, and conversation.created events and their webhooks.',
  'messages:read': 'Read the messages inside conversations, and message.received events and their webhooks.',
  'reviews:read': 'Read reviews from Google, Facebook and Yelp, and review.created events and their webhooks.',
  'leads:read': 'Read leads, and lead.converted events and their webhooks.',
  'leads:write': 'Create leads and update their status, value and notes.',
  'webhooks:read':
    'List webhook subscriptions, the event catalog and delivery logs, and receive the faro.endpoint.* health alerts. A delivery shows only if the key also has the read scope of its event\'s resource (e.g. leads:read for lead.converted).',
  'webhooks:write':
    'Create, change, test and delete webhook subscriptions; redeliver. Subscribing to an event type also needs the read scope of its resource; "*" needs all of them.',
  'events:read':
    'Read the last 30 days of events, to catch up on missed webhooks: only the events whose resource the key may also read (e.g. leads:read for lead.converted).',
  'audit:read':
    'Read the audit log: who generated, rotated or revoked API keys, changed webhook subscriptions, revealed or rotated their secrets, and redelivered webhooks; and receive the faro.api_key.* health alerts.',
  'usage:read': 'Read API usage per key (requests per hour by outcome) and the request log of the last days, and receive the faro.rate_limit.* health alerts.',
} as const;

export type Scope = keyof typeof SCOPE_DESCRIPTIONS;
export const SCOPES = Object.keys(SCOPE_DESCRIPTIONS) as Scope[];

/** Who is calling the public API: an API key, or a portal user through the session cookie. */
export interface PublicAuth {
  agencyId: string;
  tier: Tier;
  via: 'api_key' | 'session';
  /** The key's id when via = api_key. */
  keyId: string | null;
  /** The portal user when via = session. */
  userId: string | null;
  role: Role | null;
  /** A session holds every scope its role allows (members: the read scopes only). */
  scopes: readonly Scope[];
  /** False in test mode: `agencyId` is then the live agency's sandbox. */
  livemode: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: PublicAuth;
  }
  interface FastifyContextConfig {
    /** The scope a public route requires; checked before the handler runs. */
    scope?: Scope;
  }
}

/**
 * 403 `insufficient_scope`: the caller lacks `missing` (in the order of the scope list).
 * `neededFor` says what they were needed for when it is not the route itself (e.g. event types).
 * `required_scope` names the first, `required_scopes` all of them.
 */
export function insufficientScope(caller: Pick<PublicAuth, 'via' | 'role'>, missing: Scope[], neededFor?: string): ApiError {
  const names = missing.join(', ');
  const why = neededFor ? ` (needed for ${neededFor})` : '';
  const detail =
    caller.via === 'api_key'
      ? `This API key lacks the ${names} ${missing.length === 1 ? 'scope' : 'scopes'}${why}; generate a key with ${missing.length === 1 ? 'that scope' : 'those scopes'} (rotating keeps a key's scopes).`
      : `Your role (${caller.role}) does not allow ${names}${why}; ask an owner or admin.`;
  return new ApiError('insufficient_scope', detail, {
    extensions: { required_scope: missing[0], required_scopes: missing },
    // A key is a bearer credential; a portal session is not.
    ...(caller.via === 'api_key' ? { bearerChallenge: { error: 'insufficient_scope', scope: missing } } : {}),
  });
}

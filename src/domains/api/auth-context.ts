import type { Role, Tier } from '../../db/types.ts';

/** Every scope an API key can carry, with the words the portal shows for it. */
export const SCOPE_DESCRIPTIONS = {
  'locations:read': 'Read locations (business listings), and sync.failed events and their webhooks.',
  'conversations:read': 'Read inbox conversations, and conversation.created events and their webhooks.',
  'messages:read': 'Read the messages inside conversations, and message.received events and their webhooks.',
  'reviews:read': 'Read reviews from Google, Facebook and Yelp, and review.created events and their webhooks.',
  'leads:read': 'Read leads, and lead.converted events and their webhooks.',
  'leads:write': 'Create leads and update their status, value and notes.',
  'webhooks:read':
    'List webhook subscriptions, the event catalog and delivery logs. A delivery shows only if the key also has the read scope of its event\'s resource (e.g. leads:read for lead.converted).',
  'webhooks:write':
    'Create, change, test and delete webhook subscriptions; redeliver. Subscribing to an event type also needs the read scope of its resource; "*" needs all of them.',
  'events:read':
    'Read the last 30 days of events, to catch up on missed webhooks: only the events whose resource the key may also read (e.g. leads:read for lead.converted).',
  'audit:read':
    'Read the audit log: who generated, rotated or revoked API keys, changed webhook subscriptions, revealed or rotated their secrets, and redelivered webhooks.',
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

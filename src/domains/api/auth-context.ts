import type { Role, Tier } from '../../db/types.ts';

/** Every scope an API key can carry, with the words the portal shows for it. */
export const SCOPE_DESCRIPTIONS = {
  'locations:read': 'Read locations (business listings).',
  'conversations:read': 'Read inbox conversations.',
  'messages:read': 'Read the messages inside conversations.',
  'reviews:read': 'Read reviews from Google, Facebook and Yelp.',
  'leads:read': 'Read leads.',
  'leads:write': 'Create leads and update their status, value and notes.',
  'webhooks:read': 'List webhook subscriptions, deliveries and the event catalog.',
  'webhooks:write': 'Create, change, test and delete webhook subscriptions; redeliver.',
  'events:read': 'Read the last 30 days of events, to catch up on missed webhooks.',
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

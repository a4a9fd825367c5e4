import type { Session, Tier } from '../api/types.ts';

const TIER_ORDER: Tier[] = ['starter', 'growth', 'scale', 'enterprise'];

export const TIER_LABEL: Record<Tier, string> = {
  starter: 'Starter',
  growth: 'Growth',
  scale: 'Scale',
  enterprise: 'Enterprise',
};

/** API keys and webhooks need the Scale plan or above. */
export function hasIntegrations(tier: Tier): boolean {
  return TIER_ORDER.indexOf(tier) >= TIER_ORDER.indexOf('scale');
}

/** Owners and admins may change things; members are read-only. */
export function canWrite(session: Session): boolean {
  return session.user.role === 'owner' || session.user.role === 'admin';
}

export const READ_ONLY_REASON = 'Only agency owners and admins can make changes. You have read-only access.';

import type { Tier } from '../../db/types.ts';
import { ApiError } from '../../kit/errors.ts';

export const TIERS: readonly Tier[] = ['starter', 'growth', 'scale', 'enterprise'];

/** The integration surface (API keys, public API, webhooks) starts at this tier. */
export const INTEGRATIONS_TIER: Tier = 'scale';

export const SCALE_HOURLY_LIMIT = 1000;
/** Active API keys an agency may hold unless an operator set its own cap (agencies.max_api_keys). */
export const DEFAULT_MAX_API_KEYS = 50;
export const MAX_API_KEYS_LIMIT = 10_000;
export const ENTERPRISE_DEFAULT_HOURLY_LIMIT = 10_000;

export function tierAtLeast(tier: Tier, required: Tier): boolean {
  return TIERS.indexOf(tier) >= TIERS.indexOf(required);
}

/** The tiers that have the integration surface (the delivery queue serves only their agencies). */
export const INTEGRATION_TIERS: readonly Tier[] = TIERS.filter((tier) => tierAtLeast(tier, INTEGRATIONS_TIER));

/**
 * The one tier gate of the integration surface: the 403 `tier_required` for an agency below
 * INTEGRATIONS_TIER, or null. `feature` names what was asked for ("API keys"); `agency` how the
 * detail names the caller's agency ("your agency" in the portal).
 */
export function integrationsTierRefusal(tier: Tier, feature: string, agency = 'this agency'): ApiError | null {
  if (tierAtLeast(tier, INTEGRATIONS_TIER)) return null;
  return new ApiError('tier_required', `${feature} needs the ${INTEGRATIONS_TIER} plan or higher; ${agency} is on ${tier}.`, {
    extensions: { required_tier: INTEGRATIONS_TIER, current_tier: tier },
  });
}

/** Throws integrationsTierRefusal's 403 unless `tier` has the integration surface. */
export function requireIntegrationsTier(tier: Tier, feature: string, agency?: string): void {
  const refusal = integrationsTierRefusal(tier, feature, agency);
  if (refusal) throw refusal;
}

/** Requests per hour an agency's keys get by default; 0 below Scale (no API access at all). */
export function agencyHourlyLimit(agency: { tier: Tier; api_rate_limit: number | null }): number {
  switch (agency.tier) {
    case 'enterprise':
      return agency.api_rate_limit ?? ENTERPRISE_DEFAULT_HOURLY_LIMIT;
    case 'scale':
      return SCALE_HOURLY_LIMIT;
    default:
      return 0;
  }
}

/** The cap on an agency's active API keys: every key has its own quota, so the cap bounds the agency's. */
export function agencyKeyCap(agency: { max_api_keys: number | null }): number {
  return agency.max_api_keys ?? DEFAULT_MAX_API_KEYS;
}

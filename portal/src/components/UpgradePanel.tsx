// Shown instead of a feature page when the agency's plan is below Scale. Makes no API calls.
import type { ReactNode } from 'react';
import type { Tier } from '../api/types.ts';
import { useSession } from '../auth/SessionContext.tsx';
import { hasIntegrations, TIER_LABEL } from '../lib/permissions.ts';

const FEATURES = {
  api: {
    title: 'The FARO API',
    summary:
      'Connect FARO to your own tools: read locations, conversations, messages, reviews and leads, and create leads, from any program with an API key.',
    points: [
      'Generate, rotate and revoke API keys with exactly the permissions each integration needs',
      'A rate limit of 1,000 requests per hour per key (custom limits on Enterprise)',
      'A full reference with ready-to-paste examples',
    ],
  },
  webhooks: {
    title: 'Webhooks',
    summary:
      'Get told the moment something happens: FARO sends a signed HTTP request to your URL for new conversations, inbound messages, new reviews, converted leads and failed syncs.',
    points: [
      'Signed with the Standard Webhooks format, verifiable in any language',
      'Automatic retries with exponential backoff for more than a day',
      'A delivery log showing every attempt, and one-click redelivery',
    ],
  },
  audit: {
    title: 'The audit log',
    summary: 'See who changed your API keys and webhooks, and when: every key generated, rotated or revoked, every endpoint change, and every signing secret revealed.',
    points: [
      'The person, API key or FARO staff member behind each change',
      'The request ID of each change, to match it with your own logs',
      'Readable in the portal and through the API (audit:read)',
    ],
  },
} as const;

export function UpgradePanel({ feature, tier }: { feature: keyof typeof FEATURES; tier: Tier }) {
  const f = FEATURES[feature];
  return (
    <section className="card upgrade" aria-labelledby={`upgrade-${feature}`} data-testid="upgrade-panel">
      <h2 id={`upgrade-${feature}`}>{f.title} needs the Scale plan</h2>
      <p>{f.summary}</p>
      <ul>
        {f.points.map((p) => <li key={p}>{p}</li>)}
      </ul>
      <p>
        Your agency is on the <strong>{TIER_LABEL[tier]}</strong> plan. {f.title} is included with the{' '}
        <strong>Scale</strong> and <strong>Enterprise</strong> plans. Contact your FARO account manager to upgrade.
      </p>
    </section>
  );
}

/** The page itself on Scale and above; below, only its heading and the upgrade panel (no API calls). */
export function IntegrationsGate({ feature, heading, children }: { feature: keyof typeof FEATURES; heading: string; children: ReactNode }) {
  const { agency } = useSession();
  if (hasIntegrations(agency.tier)) return <>{children}</>;
  return (
    <>
      <h1>{heading}</h1>
      <UpgradePanel feature={feature} tier={agency.tier} />
    </>
  );
}

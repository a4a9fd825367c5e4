/**
 * The periodic health-alert check (src/domains/alerts): raises the alerts that arise as time
 * passes and resolves those whose condition cleared. Runs at start, then every minute. Several
 * instances may run it at once: an open alert is unique in the database, so each is raised once.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { AlertService } from '../domains/alerts/service.ts';
import { periodic } from './periodic.ts';

const MINUTE_MS = 60_000;

export interface AlertCheckDeps {
  alerts: AlertService;
  logger: FastifyBaseLogger;
  /** `health`: endpoints and key expiry (worker role); `quotas`: needs the limiter that counts requests (API role). */
  checks: readonly ('health' | 'quotas')[];
  intervalMs?: number;
}

export function createAlertCheckJob(deps: AlertCheckDeps) {
  const { alerts, logger, checks } = deps;
  async function runOnce() {
    const health = checks.includes('health') ? await alerts.checkHealth() : null;
    const quotas = checks.includes('quotas') ? await alerts.checkQuotas() : null;
    const counts: { raised?: number; resolved: number }[] = [...Object.values(health ?? {}), quotas ?? { resolved: 0 }];
    const changed = counts.some((count) => (count.raised ?? 0) > 0 || count.resolved > 0);
    if (changed) logger.info({ health, quotas }, 'alert check: alerts raised or resolved');
    return { health, quotas };
  }

  return periodic(runOnce, { intervalMs: deps.intervalMs ?? MINUTE_MS, logger, failure: 'alert check failed' });
}

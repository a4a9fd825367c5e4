import type { AppContext } from '../services.ts';
import { createDispatcher } from '../domains/webhooks/delivery/dispatcher.ts';
import { createDeliveryWorker } from '../domains/webhooks/delivery/worker.ts';
import { createRetentionJob } from './retention.ts';
import { createAlertCheckJob } from './alert-checks.ts';

/**
 * The worker role's loops: outbox fan-out, webhook delivery, retention and health alerts. stop() stops them
 * claiming work and waits for what is in flight (attempts are recorded, not abandoned).
 */
export function startBackgroundJobs(context: AppContext): { stop(): Promise<void> } {
  const deps = { db: context.db, database: context.database, clock: context.clock, config: context.config, logger: context.logger };
  const dispatcher = createDispatcher(deps);
  const worker = createDeliveryWorker({ ...deps, executor: context.services.deliveryEngine.executor });
  const retention = createRetentionJob(deps);
  // Quota alerts resolve by reading the limiter: only where it counts this process's requests.
  const alertChecks = createAlertCheckJob({ alerts: context.services.alerts, logger: context.logger, checks: context.config.role === 'all' ? ['health', 'quotas'] : ['health'] });
  const started = Promise.all([dispatcher.start(), worker.start()]).catch((error: unknown) => {
    context.logger.error({ err: error }, 'background jobs failed to start');
  });
  retention.start();
  alertChecks.start();
  return {
    async stop() {
      await started;
      await Promise.all([dispatcher.stop(), worker.stop(), retention.stop(), alertChecks.stop()]);
    },
  };
}

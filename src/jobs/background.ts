import type { AppContext } from '../services.ts';
import { createDispatcher } from '../domains/webhooks/delivery/dispatcher.ts';
import { createDeliveryWorker } from '../domains/webhooks/delivery/worker.ts';
import { createRetentionJob } from './retention.ts';

/**
 * The worker role's loops: outbox fan-out, webhook delivery and retention. stop() stops them
 * claiming work and waits for what is in flight (attempts are recorded, not abandoned).
 */
export function startBackgroundJobs(context: AppContext): { stop(): Promise<void> } {
  const deps = { db: context.db, database: context.database, clock: context.clock, config: context.config, logger: context.logger };
  const dispatcher = createDispatcher(deps);
  const worker = createDeliveryWorker({ ...deps, executor: context.services.deliveryEngine.executor });
  const retention = createRetentionJob(deps);
  const started = Promise.all([dispatcher.start(), worker.start()]).catch((error: unknown) => {
    context.logger.error({ err: error }, 'background jobs failed to start');
  });
  retention.start();
  return {
    async stop() {
      await started;
      await Promise.all([dispatcher.stop(), worker.stop(), retention.stop()]);
    },
  };
}

import type { AppContext } from '../services.ts';

/**
 * The worker role's loops. Webhook fan-out, delivery and retention register here; each exposes
 * stop() so shutdown waits for in-flight work.
 */
export function startBackgroundJobs(_context: AppContext): { stop(): Promise<void> } {
  return { async stop() {} };
}

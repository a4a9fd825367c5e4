import type { App } from './app.ts';
import { healthRoutes } from './health-routes.ts';
import { adminAgencyRoutes } from '../domains/agencies/admin-routes.ts';
import { portalSessionRoutes } from '../domains/agencies/portal-routes.ts';

/** Every route plugin of the service, in one place. Each is encapsulated (its hooks stay inside). */
export async function registerRoutes(app: App): Promise<void> {
  await app.register(healthRoutes);
  await app.register(adminAgencyRoutes);
  await app.register(portalSessionRoutes);
}

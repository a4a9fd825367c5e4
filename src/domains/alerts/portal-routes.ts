import type { App } from '../../http/app-type.ts';
import { ProblemResponses } from '../../http/problem-schema.ts';
import { requirePortalSession } from '../../http/portal-auth.ts';
import { resolvePortalAgency } from '../../http/portal-mode.ts';
import { NoQuery } from '../../http/public-schemas.ts';
import { OpenAlertListSchema } from './schemas.ts';

/** The portal's alert banner: the agency's open health alerts (of the mode the portal is in). */
export async function portalAlertRoutes(app: App): Promise<void> {
  const { sessions, sandboxes, alerts } = app.ctx.services;
  app.addHook('onRequest', requirePortalSession(sessions));
  app.addHook('onRequest', resolvePortalAgency(sandboxes));

  app.get('/portal/api/alerts', {
    schema: { hide: true, querystring: NoQuery, response: { 200: OpenAlertListSchema, ...ProblemResponses } },
    handler: async (request) => ({ data: await alerts.listOpen(request.portalAgencyId!) }),
  });
}

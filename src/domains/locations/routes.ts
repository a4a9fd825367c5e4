import type { App } from '../../http/app-type.ts';
import { PageSchema, pageRequest } from '../../kit/pagination.ts';
import { ProblemResponses } from '../../http/problem-schema.ts';
import { IdParams, ListQuery, NoQuery, requireId } from '../../http/public-schemas.ts';
import { LocationSchema } from './schemas.ts';

const TAGS = ['Locations'];

/** Public API (mounted under /api/v1): the agency's business locations. */
export async function locationRoutes(app: App): Promise<void> {
  const { services } = app.ctx;

  app.get('/locations', {
    config: { scope: 'locations:read' },
    schema: {
      operationId: 'listLocations',
      summary: 'List locations',
      description: 'The locations (business listings) of the agency, newest first.',
      tags: TAGS,
      querystring: ListQuery({}),
      response: { 200: PageSchema(LocationSchema, 'Location'), ...ProblemResponses },
    },
    handler: async (request) => services.locations.list(request.auth.agencyId, pageRequest(request.query, 'loc')),
  });

  app.get('/locations/:id', {
    config: { scope: 'locations:read' },
    schema: {
      operationId: 'getLocation',
      summary: 'Get a location',
      tags: TAGS,
      params: IdParams('loc', 'location'),
      querystring: NoQuery,
      response: { 200: LocationSchema, ...ProblemResponses },
    },
    handler: async (request) => services.locations.get(request.auth.agencyId, requireId('loc', request.params.id, 'location')),
  });
}

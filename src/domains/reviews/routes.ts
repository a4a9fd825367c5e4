import { Type } from 'typebox';
import type { App } from '../../http/app-type.ts';
import { PageSchema, pageRequest } from '../../kit/pagination.ts';
import { ProblemResponses } from '../../http/problem-schema.ts';
import { IdFilter, IdParams, ListQuery, NoQuery, SinceFilter, requireId } from '../../http/public-schemas.ts';
import { REVIEW_SOURCES, ReviewSchema } from './schemas.ts';

const TAGS = ['Reviews'];

const ReviewListQuery = ListQuery({
  location_id: Type.Optional(IdFilter('loc', 'Only reviews of this location.')),
  source: Type.Optional(Type.Enum(REVIEW_SOURCES, { description: 'Only reviews from this site.' })),
  rating: Type.Optional(Type.Integer({ minimum: 1, maximum: 5, description: 'Only reviews with exactly this star rating (1–5).', examples: [5] })),
  created_since: Type.Optional(SinceFilter('Only reviews FARO first saw at or after this instant (RFC 3339).')),
});

/** Public API (mounted under /api/v1): reviews of the agency's locations. */
export async function reviewRoutes(app: App): Promise<void> {
  const { services } = app.ctx;

  app.get('/reviews', {
    config: { scope: 'reviews:read' },
    schema: {
      operationId: 'listReviews',
      summary: 'List reviews',
      description: 'Reviews of every location of the agency, newest first (by when FARO first saw them).',
      tags: TAGS,
      querystring: ReviewListQuery,
      response: { 200: PageSchema(ReviewSchema, 'Review'), ...ProblemResponses },
    },
    handler: async (request) => {
      const { limit, cursor, ...filters } = request.query;
      return services.reviews.list(request.auth.agencyId, filters, pageRequest({ limit, cursor }, 'rev'));
    },
  });

  app.get('/reviews/:id', {
    config: { scope: 'reviews:read' },
    schema: {
      operationId: 'getReview',
      summary: 'Get a review',
      tags: TAGS,
      params: IdParams('rev', 'review'),
      querystring: NoQuery,
      response: { 200: ReviewSchema, ...ProblemResponses },
    },
    handler: async (request) => services.reviews.get(request.auth.agencyId, requireId('rev', request.params.id, 'review')),
  });
}

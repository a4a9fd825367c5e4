import type { Kysely } from 'kysely';
import type { DB, Executor } from '../../db/types.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { notFound } from '../../kit/errors.ts';
import { inTransaction } from '../../db/transaction.ts';
import { toPage, type Page, type PageRequest } from '../../kit/pagination.ts';
import { appendEvent } from '../events/repository.ts';
import { findLocation } from '../locations/repository.ts';
import * as repo from './repository.ts';
import { toReview, type NewReview, type Review, type ReviewFilters } from './schemas.ts';

export function createReviewService({ db, clock }: { db: Kysely<DB>; clock: Clock }) {
  return {
    /** Record a newly seen review; raises `review.created` in the same transaction. */
    async create(agencyId: string, input: NewReview, executor: Executor = db): Promise<{ review: Review; eventId: string }> {
      return inTransaction(executor, async (trx) => {
        if (!(await findLocation(trx, agencyId, input.location_id))) throw notFound('location');
        const now = clock.now();
        const row = await repo.insertReview(trx, {
          id: newId('rev', now),
          agency_id: agencyId,
          location_id: input.location_id,
          source: input.source,
          rating: input.rating,
          author_name: input.author_name,
          body: input.body,
          reply: input.reply ?? null,
          replied_at: input.reply ? now : null,
          published_at: input.published_at ?? now,
          created_at: now,
          updated_at: now,
        });
        const review = toReview(row);
        const event = await appendEvent(trx, { agencyId, type: 'review.created', data: review, at: now });
        return { review, eventId: event.id };
      });
    },

    async get(agencyId: string, id: string): Promise<Review> {
      const row = await repo.findReview(db, agencyId, id);
      if (!row) throw notFound('review');
      return toReview(row);
    },

    async list(agencyId: string, filters: ReviewFilters, page: PageRequest): Promise<Page<Review>> {
      return toPage(await repo.listReviews(db, agencyId, filters, page), page.limit, toReview);
    },
  };
}

export type ReviewService = ReturnType<typeof createReviewService>;

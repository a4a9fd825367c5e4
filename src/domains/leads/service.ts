import type { Kysely } from 'kysely';
import type { DB, Executor } from '../../db/types.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { ApiError, notFound } from '../../kit/errors.ts';
import { inTransaction } from '../../db/transaction.ts';
import { toPage, type Page, type PageRequest } from '../../kit/pagination.ts';
import { appendEvent } from '../events/repository.ts';
import { findLocation } from '../locations/repository.ts';
import * as repo from './repository.ts';
import { DEFAULT_LEAD_SOURCE, toLead, type CreateLeadInput, type Lead, type LeadFilters, type UpdateLeadInput } from './schemas.ts';

export function createLeadService({ db, clock }: { db: Kysely<DB>; clock: Clock }) {
  return {
    /** Create a lead; one created already converted raises `lead.converted` too. */
    async create(agencyId: string, input: CreateLeadInput, executor: Executor = db): Promise<{ lead: Lead; eventId: string | null }> {
      return inTransaction(executor, async (trx) => {
        if (!(await findLocation(trx, agencyId, input.location_id))) {
          throw new ApiError('validation_failed', 'location_id does not name a location of this agency.', {
            errors: [{ path: 'body.location_id', message: 'no such location' }],
          });
        }
        const now = clock.now();
        const status = input.status ?? 'new';
        const row = await repo.insertLead(trx, {
          id: newId('lead', now),
          agency_id: agencyId,
          location_id: input.location_id,
          name: input.name,
          email: input.email ?? null,
          phone: input.phone ?? null,
          source: input.source ?? DEFAULT_LEAD_SOURCE,
          status,
          value: input.value ?? null,
          notes: input.notes ?? '',
          converted_at: status === 'converted' ? now : null,
          created_at: now,
          updated_at: now,
        });
        const lead = toLead(row);
        if (status !== 'converted') return { lead, eventId: null };
        const event = await appendEvent(trx, { agencyId, type: 'lead.converted', data: lead, at: now });
        return { lead, eventId: event.id };
      });
    },

    /** Change status, value or notes; moving to `converted` raises `lead.converted` once. */
    async update(agencyId: string, id: string, input: UpdateLeadInput, executor: Executor = db): Promise<{ lead: Lead; eventId: string | null }> {
      return inTransaction(executor, async (trx) => {
        const current = await repo.findLead(trx, agencyId, id, { forUpdate: true });
        if (!current) throw notFound('lead');
        const now = clock.now();
        const converting = input.status === 'converted' && current.status !== 'converted';
        const leavingConverted = input.status !== undefined && input.status !== 'converted';
        const row = await repo.updateLead(trx, agencyId, id, {
          ...input,
          ...(converting ? { converted_at: now } : leavingConverted ? { converted_at: null } : {}),
          updated_at: now,
        });
        const lead = toLead(row);
        if (!converting) return { lead, eventId: null };
        const event = await appendEvent(trx, { agencyId, type: 'lead.converted', data: lead, at: now });
        return { lead, eventId: event.id };
      });
    },

    async get(agencyId: string, id: string): Promise<Lead> {
      const row = await repo.findLead(db, agencyId, id);
      if (!row) throw notFound('lead');
      return toLead(row);
    },

    async list(agencyId: string, filters: LeadFilters, page: PageRequest): Promise<Page<Lead>> {
      return toPage(await repo.listLeads(db, agencyId, filters, page), page.limit, toLead);
    },
  };
}

export type LeadService = ReturnType<typeof createLeadService>;

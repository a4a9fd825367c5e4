import type { Kysely } from 'kysely';
import type { DB, Executor } from '../../db/types.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { notFound } from '../../kit/errors.ts';
import { toPage, type Page, type PageRequest } from '../../kit/pagination.ts';
import * as repo from './repository.ts';
import { toLocation, type Location, type NewLocation } from './schemas.ts';

export function createLocationService({ db, clock }: { db: Kysely<DB>; clock: Clock }) {
  return {
    async create(agencyId: string, input: NewLocation, executor: Executor = db): Promise<Location> {
      const now = clock.now();
      const row = await repo.insertLocation(executor, {
        id: newId('loc', now),
        agency_id: agencyId,
        name: input.name,
        address_line1: input.address_line1 ?? '',
        city: input.city ?? '',
        region: input.region ?? '',
        postal_code: input.postal_code ?? '',
        country: input.country ?? 'US',
        phone: input.phone ?? null,
        website: input.website ?? null,
        timezone: input.timezone ?? 'America/New_York',
        created_at: now,
        updated_at: now,
      });
      return toLocation(row);
    },

    async get(agencyId: string, id: string): Promise<Location> {
      const row = await repo.findLocation(db, agencyId, id);
      if (!row) throw notFound('location');
      return toLocation(row);
    },

    async list(agencyId: string, page: PageRequest): Promise<Page<Location>> {
      return toPage(await repo.listLocations(db, agencyId, page), page.limit, toLocation);
    },
  };
}

export type LocationService = ReturnType<typeof createLocationService>;

import type { Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { ApiError, notFound } from '../../kit/errors.ts';
import { hashPassword } from './passwords.ts';
import * as repo from './repository.ts';
import { agencyHourlyLimit, agencyKeyCap } from './entitlements.ts';
import type { Agency, CreateAgencyInput, CreateUserInput, UpdateAgencyInput, User } from './schemas.ts';

export function toAgency(row: repo.AgencyRow): Agency {
  return {
    id: row.id,
    name: row.name,
    tier: row.tier,
    api_rate_limit: row.api_rate_limit,
    effective_api_rate_limit: agencyHourlyLimit(row),
    max_api_keys: row.max_api_keys,
    effective_max_api_keys: agencyKeyCap(row),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export function toUser(row: repo.UserRow): User {
  return { id: row.id, email: row.email, name: row.name, role: row.role };
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === '23505';
}

export function createAgencyService({ db, clock }: { db: Kysely<DB>; clock: Clock }) {
  async function addUser(agencyId: string, input: CreateUserInput, executor = db) {
    const passwordHash = await hashPassword(input.password);
    try {
      return await repo.insertUser(executor, {
        id: newId('usr', clock.now()),
        agency_id: agencyId,
        email: input.email,
        name: input.name ?? '',
        password_hash: passwordHash,
        role: input.role,
        created_at: clock.now(),
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ApiError('conflict', `A user with email ${input.email} already exists.`);
      throw error;
    }
  }

  return {
    /** Create an agency and its owner in one transaction. */
    async createAgency(input: CreateAgencyInput): Promise<{ agency: Agency; owner: User }> {
      if (input.api_rate_limit !== undefined && input.tier !== 'enterprise') {
        throw new ApiError('validation_failed', 'api_rate_limit applies to enterprise agencies only.', {
          errors: [{ path: 'body.api_rate_limit', message: 'only allowed with tier enterprise' }],
        });
      }
      return db.transaction().execute(async (trx) => {
        const now = clock.now();
        const agency = await repo.insertAgency(trx, {
          id: newId('agy', now),
          name: input.name,
          tier: input.tier,
          api_rate_limit: input.api_rate_limit ?? null,
          created_at: now,
          updated_at: now,
        });
        const owner = await addUser(agency.id, { email: input.admin_email, password: input.admin_password, role: 'owner' }, trx);
        return { agency: toAgency(agency), owner: toUser(owner) };
      });
    },

    async getAgency(id: string): Promise<Agency> {
      const row = await repo.findAgency(db, id);
      // A sandbox is reached through its live agency only; operators never see it as an agency.
      if (!row || row.live_agency_id !== null) throw notFound('agency');
      return toAgency(row);
    },

    async updateAgency(id: string, input: UpdateAgencyInput): Promise<Agency> {
      const current = await repo.findAgency(db, id);
      if (!current || current.live_agency_id !== null) throw notFound('agency');
      const tier = input.tier ?? current.tier;
      if (input.api_rate_limit != null && tier !== 'enterprise') {
        throw new ApiError('validation_failed', 'api_rate_limit applies to enterprise agencies only.', {
          errors: [{ path: 'body.api_rate_limit', message: 'only allowed with tier enterprise' }],
        });
      }
      // A custom limit belongs to enterprise only: moving below it drops the custom limit too.
      const dropCustomLimit = tier !== 'enterprise' && input.api_rate_limit === undefined && current.api_rate_limit !== null;
      const row = await db.transaction().execute(async (trx) => {
        const updated = await repo.updateAgency(trx, id, { ...input, ...(dropCustomLimit ? { api_rate_limit: null } : {}), updated_at: clock.now() });
        if (updated) await repo.mirrorPlanToSandbox(trx, updated);
        return updated;
      });
      if (!row) throw notFound('agency');
      return toAgency(row);
    },

    async addUser(agencyId: string, input: CreateUserInput): Promise<User> {
      const agency = await repo.findAgency(db, agencyId);
      // A sandbox has no users: nobody logs in to it; the portal reaches it from the live agency.
      if (!agency || agency.live_agency_id !== null) throw notFound('agency');
      return toUser(await addUser(agencyId, input));
    },

    async countAgencies(): Promise<number> {
      return repo.countAgencies(db);
    },
  };
}

export type AgencyService = ReturnType<typeof createAgencyService>;

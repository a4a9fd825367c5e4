import type { Executor, NewRow, Row, Tier } from '../../db/types.ts';

export type AgencyRow = Row<'agencies'>;
export type UserRow = Row<'users'>;

export async function insertAgency(db: Executor, agency: NewRow<'agencies'>): Promise<AgencyRow> {
  return db.insertInto('agencies').values(agency).returningAll().executeTakeFirstOrThrow();
}

export async function findAgency(db: Executor, id: string): Promise<AgencyRow | undefined> {
  return db.selectFrom('agencies').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Lock the agency row: changes that must see the agency's other rows as they are (the key cap) serialise on it. */
export async function lockAgency(db: Executor, id: string): Promise<AgencyRow | undefined> {
  return db.selectFrom('agencies').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function countAgencies(db: Executor): Promise<number> {
  const row = await db.selectFrom('agencies').select((eb) => eb.fn.countAll<number>().as('count')).where('live_agency_id', 'is', null).executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function updateAgency(
  db: Executor,
  id: string,
  changes: { tier?: Tier; api_rate_limit?: number | null; max_api_keys?: number | null; updated_at: Date },
): Promise<AgencyRow | undefined> {
  return db.updateTable('agencies').set(changes).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function insertUser(db: Executor, user: NewRow<'users'>): Promise<UserRow> {
  return db.insertInto('users').values(user).returningAll().executeTakeFirstOrThrow();
}

export async function findUserByEmail(db: Executor, email: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .executeTakeFirst();
}

export async function findUser(db: Executor, agencyId: string, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('agency_id', '=', agencyId).where('id', '=', id).executeTakeFirst();
}

export async function insertSession(db: Executor, session: NewRow<'sessions'>): Promise<void> {
  await db.insertInto('sessions').values(session).execute();
}

/** The live session with its user and agency, or undefined when missing or expired. */
export async function findLiveSession(db: Executor, id: string, now: Date) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .innerJoin('agencies', 'agencies.id', 'sessions.agency_id')
    .select([
      'sessions.id as session_id',
      'sessions.csrf_token',
      'sessions.expires_at',
      'users.id as user_id',
      'users.email',
      'users.name as user_name',
      'users.role',
      'agencies.id as agency_id',
      'agencies.name as agency_name',
      'agencies.tier',
      'agencies.api_rate_limit',
    ])
    .where('sessions.id', '=', id)
    .where('sessions.expires_at', '>', now)
    .executeTakeFirst();
}

export async function deleteSession(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', id).execute();
}

export async function deleteExpiredSessions(db: Executor, now: Date): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The test-mode sandbox of a live agency, if it has one yet. */
export async function findSandbox(db: Executor, liveAgencyId: string): Promise<AgencyRow | undefined> {
  return db.selectFrom('agencies').selectAll().where('live_agency_id', '=', liveAgencyId).executeTakeFirst();
}

/** Inserts the sandbox unless the agency has one; undefined when another transaction got there first. */
export async function insertSandbox(db: Executor, sandbox: NewRow<'agencies'> & { live_agency_id: string }): Promise<AgencyRow | undefined> {
  return db.insertInto('agencies').values(sandbox).onConflict((oc) => oc.column('live_agency_id').doNothing()).returningAll().executeTakeFirst();
}

/** A live agency's plan changed: its sandbox mirrors it (call in the same transaction). */
export async function mirrorPlanToSandbox(db: Executor, live: AgencyRow): Promise<void> {
  await db
    .updateTable('agencies')
    .set({ tier: live.tier, api_rate_limit: live.api_rate_limit, max_api_keys: live.max_api_keys, updated_at: live.updated_at })
    .where('live_agency_id', '=', live.id)
    .execute();
}

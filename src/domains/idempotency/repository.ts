import type { Executor, Row } from '../../db/types.ts';

export type IdempotencyRecord = Row<'idempotency_keys'>;

export interface Claim {
  agencyId: string;
  key: string;
  fingerprint: string;
  claimToken: string;
  now: Date;
  lockedUntil: Date;
  expiresAt: Date;
}

/**
 * Take (agency, key) for a request about to run. Succeeds on a fresh key, on an expired record,
 * and on an abandoned in-progress claim of the same request whose lease has passed. Returns
 * undefined when someone else holds the key: the caller reads the record to learn why.
 */
export async function claimKey(db: Executor, claim: Claim): Promise<IdempotencyRecord | undefined> {
  return db
    .insertInto('idempotency_keys')
    .values({
      agency_id: claim.agencyId,
      key: claim.key,
      fingerprint: claim.fingerprint,
      state: 'in_progress',
      claim_token: claim.claimToken,
      locked_until: claim.lockedUntil,
      response_status: null,
      response_body: null,
      created_at: claim.now,
      expires_at: claim.expiresAt,
    })
    .onConflict((conflict) =>
      conflict
        .columns(['agency_id', 'key'])
        .doUpdateSet((eb) => ({
          fingerprint: eb.ref('excluded.fingerprint'),
          state: eb.ref('excluded.state'),
          claim_token: eb.ref('excluded.claim_token'),
          locked_until: eb.ref('excluded.locked_until'),
          response_status: null,
          response_body: null,
          created_at: eb.ref('excluded.created_at'),
          expires_at: eb.ref('excluded.expires_at'),
        }))
        .where((eb) =>
          eb.or([
            eb('idempotency_keys.expires_at', '<=', claim.now),
            eb.and([
              eb('idempotency_keys.state', '=', 'in_progress'),
              eb('idempotency_keys.locked_until', '<=', claim.now),
              eb('idempotency_keys.fingerprint', '=', claim.fingerprint),
            ]),
          ]),
        ),
    )
    .returningAll()
    .executeTakeFirst();
}

export async function findKey(db: Executor, agencyId: string, key: string): Promise<IdempotencyRecord | undefined> {
  return db.selectFrom('idempotency_keys').selectAll().where('agency_id', '=', agencyId).where('key', '=', key).executeTakeFirst();
}

/** Store the response of the request holding the claim; returns false if the claim was lost. */
export async function completeKey(
  db: Executor,
  claim: { agencyId: string; key: string; claimToken: string },
  response: { status: number; body: unknown },
): Promise<boolean> {
  const result = await db
    .updateTable('idempotency_keys')
    .set({ state: 'completed', response_status: response.status, response_body: JSON.stringify(response.body) })
    .where('agency_id', '=', claim.agencyId)
    .where('key', '=', claim.key)
    .where('claim_token', '=', claim.claimToken)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Give a key back after its request failed, so a retry runs anew. */
export async function releaseKey(db: Executor, claim: { agencyId: string; key: string; claimToken: string }): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('agency_id', '=', claim.agencyId)
    .where('key', '=', claim.key)
    .where('claim_token', '=', claim.claimToken)
    .where('state', '=', 'in_progress')
    .execute();
}

/** Delete every record that expired at or before `now`; returns how many went. */
export async function deleteExpiredKeys(db: Executor, now: Date): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * operational_alerts, its one owner. An open alert (resolved_at NULL) is unique per agency, kind
 * and subject, so raising is an insert that does nothing when one is open, on any instance.
 */
import type { AlertKind, Executor, Row } from '../../db/types.ts';
import { deleteBatchBefore } from '../../db/retention.ts';

export type AlertRow = Row<'operational_alerts'>;

/** Inserts the alert unless one of its kind is open for the subject; returns it only if inserted. */
export async function insertOpenAlert(
  trx: Executor,
  alert: { id: string; agencyId: string; kind: AlertKind; subjectId: string; details: Record<string, unknown>; raisedAt: Date },
): Promise<AlertRow | undefined> {
  return trx
    .insertInto('operational_alerts')
    .values({
      id: alert.id,
      agency_id: alert.agencyId,
      kind: alert.kind,
      subject_id: alert.subjectId,
      details: JSON.stringify(alert.details),
      raised_at: alert.raisedAt,
    })
    .onConflict((oc) => oc.columns(['agency_id', 'kind', 'subject_id']).where('resolved_at', 'is', null).doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function setAlertEvent(trx: Executor, alertId: string, eventId: string): Promise<void> {
  await trx.updateTable('operational_alerts').set({ event_id: eventId }).where('id', '=', alertId).execute();
}

/** Was an alert of this kind raised for the subject at or after `since` (open or not)? */
export async function raisedSince(db: Executor, kind: AlertKind, subjectId: string, since: Date): Promise<boolean> {
  const row = await db
    .selectFrom('operational_alerts')
    .select('id')
    .where('subject_id', '=', subjectId)
    .where('kind', '=', kind)
    .where('raised_at', '>=', since)
    .executeTakeFirst();
  return row !== undefined;
}

/** Resolves the open alerts of these kinds about `subjectIds`; returns how many. */
export async function resolveAlerts(db: Executor, filter: { kinds: readonly AlertKind[]; subjectIds: readonly string[] }, at: Date): Promise<number> {
  if (filter.subjectIds.length === 0 || filter.kinds.length === 0) return 0;
  const result = await db
    .updateTable('operational_alerts')
    .set({ resolved_at: at })
    .where('kind', 'in', filter.kinds)
    .where('subject_id', 'in', filter.subjectIds)
    .where('resolved_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Every open alert of a kind, all agencies (the periodic check compares them with the conditions). */
export async function listOpenAlertsOfKind(db: Executor, kind: AlertKind): Promise<AlertRow[]> {
  return db.selectFrom('operational_alerts').selectAll().where('kind', '=', kind).where('resolved_at', 'is', null).execute();
}

/** An agency's open alerts, newest first (the portal banner). */
export async function listOpenAlerts(db: Executor, agencyId: string): Promise<AlertRow[]> {
  return db
    .selectFrom('operational_alerts')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .where('resolved_at', 'is', null)
    .orderBy('id', 'desc')
    .limit(100)
    .execute();
}

/** Deletes up to `batchSize` alerts resolved before `cutoff` (retention; open ones stay, however old); returns how many. */
export async function pruneResolvedAlerts(db: Executor, cutoff: Date, batchSize: number): Promise<number> {
  return deleteBatchBefore(db, 'operational_alerts', 'resolved_at', cutoff, batchSize);
}

/**
 * Raising an alert: the alert row and its operational event, in the caller's transaction, so the
 * event exists if and only if this occurrence was raised here (a second raise, on this instance or
 * another, finds the open alert and does nothing). The event fans out like any other: the
 * dispatcher delivers it, signed, to the agency's enabled subscriptions of its type.
 */
import type { AlertKind, Executor } from '../../db/types.ts';
import { newId } from '../../lib/ids.ts';
import { appendEvent } from '../events/repository.ts';
import { insertOpenAlert, resolveAlerts, setAlertEvent, type AlertRow } from './repository.ts';
import { ALERT_EVENT_TYPES } from './schemas.ts';

export interface AlertOccurrence {
  agencyId: string;
  kind: AlertKind;
  subjectId: string;
  /** The event's data without alert_id. */
  details: Record<string, unknown>;
  at: Date;
}

/** Returns the alert if raised now, undefined if one was already open. */
export async function raiseAlert(trx: Executor, occurrence: AlertOccurrence): Promise<AlertRow | undefined> {
  const { agencyId, kind, subjectId, details, at } = occurrence;
  const id = newId('alert', at);
  const alert = await insertOpenAlert(trx, { id, agencyId, kind, subjectId, details, raisedAt: at });
  if (!alert) return undefined;
  const event = await appendEvent(trx, { agencyId, type: ALERT_EVENT_TYPES[kind], data: { alert_id: id, ...details }, at });
  await setAlertEvent(trx, id, event.id);
  return { ...alert, event_id: event.id };
}

/** The endpoint alerts a subscription's recovery ends (it was enabled again, or it succeeded). */
export async function resolveEndpointAlerts(trx: Executor, subscriptionId: string, at: Date, kinds: readonly AlertKind[] = ['endpoint_disabled', 'endpoint_failing']): Promise<void> {
  await resolveAlerts(trx, { kinds, subjectIds: [subscriptionId] }, at);
}

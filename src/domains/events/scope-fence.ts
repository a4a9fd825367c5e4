/**
 * Scopes fence data: an event (and a delivery of it) carries a resource, so reading or receiving
 * it needs that resource's read scope (EVENT_READ_SCOPES), whatever webhooks/events scope let the
 * request in. Lists leave such events out; asking for one by id or by type is a 403.
 */
import { insufficientScope, SCOPES, type PublicAuth } from '../api/auth-context.ts';
import { EVENT_READ_SCOPES, EVENT_TYPES, isEventType, type EventType } from './event-types.ts';

/** Who asks: the agency, the scopes held, and how to word a refusal. */
export type ScopedCaller = Pick<PublicAuth, 'agencyId' | 'scopes' | 'via' | 'role'>;

function mayRead(caller: Pick<ScopedCaller, 'scopes'>, type: EventType): boolean {
  const scope = EVENT_READ_SCOPES[type];
  return scope === null || caller.scopes.includes(scope);
}

/** The event types whose payload the caller may see (what a list is filtered to, in SQL). */
export function readableEventTypes(caller: Pick<ScopedCaller, 'scopes'>): EventType[] {
  return EVENT_TYPES.filter((type) => mayRead(caller, type));
}

/**
 * 403 `insufficient_scope` unless the caller holds the read scope of every one of `types` (known
 * catalog types; unknown ones are the validator's business). `required_scope` names the first
 * missing scope, `required_scopes` all of them, in the order of the scope list.
 */
export function assertMayReadEvents(caller: ScopedCaller, types: readonly string[]): void {
  const blocked = types.filter(isEventType).filter((type) => !mayRead(caller, type));
  if (blocked.length === 0) return;
  const needed = new Set(blocked.map((type) => EVENT_READ_SCOPES[type]));
  const missing = SCOPES.filter((scope) => needed.has(scope));
  throw insufficientScope(caller, missing, blocked.join(', '));
}

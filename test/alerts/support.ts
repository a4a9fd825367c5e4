// Shared by the health-alert tests: the alert rows, and verifying a signed operational event as
// a receiver would (standardwebhooks checks the timestamp against its wall clock; the tests run
// on a manual clock, so it is verified at that time).
import { Webhook } from 'standardwebhooks';
import type { TestApp } from '../support/app.ts';
import type { ReceivedRequest } from '../support/webhook-receiver.ts';

export function alertsOf(t: TestApp, agencyId: string) {
  return t.ctx.db.selectFrom('operational_alerts').selectAll().where('agency_id', '=', agencyId).orderBy('id').execute();
}

export function eventsOfType(t: TestApp, agencyId: string, type: string) {
  return t.ctx.db.selectFrom('events').selectAll().where('agency_id', '=', agencyId).where('type', '=', type).orderBy('id').execute();
}

export function verifyAt(secret: string, request: Pick<ReceivedRequest, 'body' | 'headers'>, at: Date): Record<string, unknown> {
  const realNow = Date.now;
  Date.now = () => at.getTime();
  try {
    return new Webhook(secret).verify(request.body, request.headers) as Record<string, unknown>;
  } finally {
    Date.now = realNow;
  }
}

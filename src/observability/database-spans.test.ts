import { describe, expect, it } from 'vitest';
import { operationOf } from './database-spans.ts';

describe('operationOf', () => {
  it.each([
    ['select "id" from "locations" where "id" = $1', 'SELECT'],
    ['  insert into "leads" ("id") values ($1)', 'INSERT'],
    ['/* prepared: claim_deliveries */ with due as (select 1) update "webhook_deliveries" set "status" = $1', 'WITH'],
    ['-- a note\n/* two */ /* comments */\ndelete from "events"', 'DELETE'],
    ['begin', 'BEGIN'],
    ['select pg_notify($1, $2)', 'SELECT'],
    ['', 'SQL'],
    ['(select 1) union (select 2)', 'SQL'],
  ])('%j is %s', (text, operation) => {
    expect(operationOf(text)).toBe(operation);
  });
});

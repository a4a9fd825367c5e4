import { describe, expect, it } from 'vitest';
import { splitStatements } from '../../src/db/migrator.ts';

describe('splitStatements', () => {
  it('splits on semicolons and drops empty statements', () => {
    expect(splitStatements('select 1;\n\nselect 2 ;;\n select 3')).toEqual(['select 1', 'select 2', 'select 3']);
  });

  it('keeps semicolons inside single-quoted strings, doubled quotes included', () => {
    expect(splitStatements("insert into t values ('a;b', 'it''s; fine');select 2;")).toEqual([
      "insert into t values ('a;b', 'it''s; fine')",
      'select 2',
    ]);
  });

  it('keeps semicolons inside double-quoted identifiers', () => {
    expect(splitStatements('create table "odd;name" ("x;y" int); select 1')).toEqual(['create table "odd;name" ("x;y" int)', 'select 1']);
  });

  it('keeps dollar-quoted bodies whole, anonymous and tagged', () => {
    const fn = `create function f() returns trigger language plpgsql as $$
begin
  perform 1; -- not a statement end
  return new;
end;
$$`;
    const tagged = `do $body$ begin raise notice 'x;y'; perform $$nested;$$; end $body$`;
    expect(splitStatements(`${fn};\n${tagged};\nselect 3;`)).toEqual([fn, tagged, 'select 3']);
  });

  it('accepts dollar-quote tags with digits, as Postgres does', () => {
    const body = 'do $fn1$ begin perform 1; perform 2; end $fn1$';
    expect(splitStatements(`${body}; select 1`)).toEqual([body, 'select 1']);
  });

  it('does not take positional parameters for dollar quotes', () => {
    expect(splitStatements('prepare p as select $1, $2; select 1')).toEqual(['prepare p as select $1, $2', 'select 1']);
  });

  it('ignores semicolons in line and block comments', () => {
    const script = `-- header; with a semicolon
create table a (id int); /* block; comment
spanning; lines */ create table b (id int);
-- trailing comment;`;
    expect(splitStatements(script)).toEqual(['create table a (id int)', 'create table b (id int)']);
  });

  it('does not read comment markers inside strings', () => {
    expect(splitStatements("select '-- not a comment; really', '/* nor; this */'; select 2")).toEqual([
      "select '-- not a comment; really', '/* nor; this */'",
      'select 2',
    ]);
  });

  it('returns nothing for a script of only comments and whitespace', () => {
    expect(splitStatements('-- nothing here;\n/* ; */\n  \n')).toEqual([]);
  });
});

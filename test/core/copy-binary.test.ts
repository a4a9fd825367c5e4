// COPY's binary format written as bytes (src/db/copy-binary.ts), read back by the database itself
// (PGlite, or Postgres with TEST_DATABASE_URL), and ids written as bytes (writeNewId): each must
// store exactly what its value says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { COPY_BINARY_HEADER, COPY_BINARY_TRAILER, CopyBinaryWriter, copyAsciiField } from '../../src/db/copy-binary.ts';
import type { Database } from '../../src/db/database.ts';
import { isId, newId, timeOfId, writeNewId } from '../../src/lib/ids.ts';
import { createTestDatabase } from '../support/database.ts';

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
  await sql`CREATE TABLE copy_binary_probe (n smallint, label text, ratio real, at timestamptz)`.execute(database.db);
});
afterAll(async () => {
  await database?.close();
});

async function copyAndRead(write: (writer: CopyBinaryWriter) => void, expectedBytes = 16) {
  const writer = new CopyBinaryWriter(expectedBytes);
  write(writer);
  await sql`TRUNCATE copy_binary_probe`.execute(database.db);
  async function* chunks() {
    yield COPY_BINARY_HEADER;
    yield writer.bytes();
    yield COPY_BINARY_TRAILER;
  }
  await database.copyRows('copy_binary_probe', ['n', 'label', 'ratio', 'at'], chunks());
  const { rows } = await sql<{ n: number; label: string | null; ratio: number; at: Date }>`SELECT n, label, ratio, at FROM copy_binary_probe ORDER BY n`.execute(database.db);
  return rows.map((row) => [row.n, row.label, row.ratio, row.at.toISOString()]);
}

describe('CopyBinaryWriter', () => {
  it('writes text of any kind as the database stores it: ASCII, UTF-8, null, and NUL replaced', async () => {
    const labels = ['plain /api/v1/x?a=1', 'tab\there, newline\nthere, \\N and \\', 'é ü 🚀 日本', null, 'x\u0000y', ''];
    const rows = await copyAndRead((w) => labels.forEach((label, n) => w.row(4).int16(n).text(label).float4(0.5).timestamp(Date.UTC(2026, 11, 6))));
    expect(rows.map((row) => row[1])).toEqual(['plain /api/v1/x?a=1', 'tab\there, newline\nthere, \\N and \\', 'é ü 🚀 日本', null, 'x\uFFFDy', '']);
  });

  it('writes smallints, reals and timestamps (milliseconds, before and after 2000) exactly', async () => {
    const times = [Date.UTC(2026, 11, 6, 1, 2, 3, 456), Date.UTC(1999, 11, 31, 23, 59, 59, 999), Date.UTC(2000, 0, 1), Date.UTC(2262, 0, 1)];
    const rows = await copyAndRead((w) => times.forEach((at, n) => w.row(4).int16(n - 1).text('t').float4([1234.5, 0.123456, 0, 7][n]!).timestamp(at)));
    expect(rows).toEqual([
      [-1, 't', 1234.5, '2026-12-06T01:02:03.456Z'],
      [0, 't', expect.closeTo(0.123456, 6), '1999-12-31T23:59:59.999Z'],
      [1, 't', 0, '2000-01-01T00:00:00.000Z'],
      [2, 't', 7, '2262-01-01T00:00:00.000Z'],
    ]);
  });

  it('copies fields written once by another writer, and grows past the size it expected', async () => {
    const prefix = new CopyBinaryWriter(4).text('z'.repeat(300)).bytes();
    const rows = await copyAndRead((w) => {
      for (let n = 0; n < 50; n++) w.row(4).int16(n).raw(prefix, 0, prefix.length).float4(n).timestamp(Date.UTC(2026, 0, 1) + n);
    }, 8);
    expect(rows).toHaveLength(50);
    expect(rows.every(([n, label, ratio]) => label === 'z'.repeat(300) && ratio === n)).toBe(true);
  });

  it('copyAsciiField copies ASCII other than NUL only, and only when it fits', () => {
    const target = Buffer.alloc(16);
    expect(copyAsciiField('abc', target, 2, 16)).toBe(9);
    expect(target.readInt32BE(2)).toBe(3);
    expect(target.toString('latin1', 6, 9)).toBe('abc');
    expect(copyAsciiField('abcdefghijklm', target, 0, 16)).toBe(-1);
    for (const odd of ['a\u0000b', 'é', '🚀']) expect(copyAsciiField(odd, target, 0, 16)).toBe(-1);
    expect(copyAsciiField('a\tb\\', target, 0, 16)).toBe(8);
  });
});

describe('writeNewId', () => {
  it('writes an id of the same form as newId, ordered by its time', () => {
    const at = Date.parse('2026-12-06T01:02:03.456Z');
    const target = Buffer.alloc(64);
    const id = target.toString('latin1', 3, writeNewId('reqlog', at, target, 3));
    expect(isId('reqlog', id)).toBe(true);
    expect(timeOfId(id)).toBe(at);
    const made = newId('reqlog', new Date(at));
    expect(id).toHaveLength(made.length);
    // The time part is newId's; the random parts differ.
    expect(id.slice(0, 17)).toBe(made.slice(0, 17));
    const later = target.toString('latin1', 3, writeNewId('reqlog', at + 1, target, 3));
    expect(later > id).toBe(true);
    expect(later.slice(17)).not.toBe(id.slice(17));
  });
});

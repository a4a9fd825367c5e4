// COPY's text format written as bytes (src/db/copy-text.ts), and ids written as bytes
// (writeNewId): each must say exactly what its string counterpart says.
import { describe, expect, it } from 'vitest';
import { CopyTextWriter, copyPlainText } from '../../src/db/copy-text.ts';
import { isId, newId, timeOfId, writeNewId } from '../../src/lib/ids.ts';

const text = (write: (writer: CopyTextWriter) => void, expectedBytes = 8): string => {
  const writer = new CopyTextWriter(expectedBytes);
  write(writer);
  return writer.bytes().toString('utf8');
};

describe('CopyTextWriter', () => {
  it('separates columns with tabs and ends rows with a newline', () => {
    expect(text((w) => {
      w.text('a').text('b').integer(7);
      w.endRow();
      w.text('c');
      w.endRow();
    })).toBe('a\tb\t7\nc\n');
  });

  it('escapes what COPY would read as syntax, writes null as \\N, replaces NUL and encodes UTF-8', () => {
    expect(text((w) => w.text('a\tb\\c\nd\re').text(null).text('x\u0000y').text('é ü 🚀'))).toBe('a\\tb\\\\c\\nd\\re\t\\N\tx\uFFFDy\té ü 🚀');
    // `\N` as text is a backslash and an N, not a null.
    expect(text((w) => w.text('\\N'))).toBe('\\\\N');
  });

  it('writes integers of any size and fixed decimals, rounded', () => {
    expect(text((w) => w.integer(0).integer(9).integer(200).integer(2 ** 31).integer(1_733_450_000_123).integer(Number.MAX_SAFE_INTEGER))).toBe(
      `0\t9\t200\t${2 ** 31}\t1733450000123\t${Number.MAX_SAFE_INTEGER}`,
    );
    expect(text((w) => w.fixed(0, 6).fixed(0.123456, 6).fixed(1234.5, 6).fixed(2.0000006, 6).fixed(0.9999999, 6).fixed(3_600_000.25, 3))).toBe(
      '0.000000\t0.123456\t1234.500000\t2.000001\t1.000000\t3600000.250',
    );
    expect(text((w) => w.text('t').appendDigits(7, 3).appendPlain('Z'))).toBe('t007Z');
  });

  it('copies raw columns as they are, and grows past the size it expected', () => {
    const raw = Buffer.from('xx\tpre\tfix\tyy', 'latin1');
    expect(text((w) => w.integer(1).raw(raw, 3, 10).text('z'.repeat(100)), 4)).toBe(`1\tpre\tfix\t${'z'.repeat(100)}`);
  });

  it('copyPlainText copies printable ASCII only, and only when it fits', () => {
    const target = new Uint8Array(8);
    expect(copyPlainText('abc', target, 2, 8)).toBe(5);
    expect(Buffer.from(target.subarray(2, 5)).toString('latin1')).toBe('abc');
    expect(copyPlainText('abcdefg', target, 2, 8)).toBe(-1);
    for (const odd of ['a\\b', 'a\tb', 'é', 'a\u007fb']) expect(copyPlainText(odd, target, 0, 8)).toBe(-1);
  });
});

describe('writeNewId', () => {
  it('writes an id of the same form as newId, ordered by its time', () => {
    const at = Date.parse('2026-12-06T01:02:03.456Z');
    const target = Buffer.alloc(64);
    const end = writeNewId('reqlog', at, target, 3);
    const id = target.toString('latin1', 3, end);
    expect(isId('reqlog', id)).toBe(true);
    expect(id).toHaveLength(newId('reqlog', new Date(at)).length);
    expect(timeOfId(id)).toBe(at);
    // The time part is newId's; the random parts differ.
    expect(id.slice(0, 17)).toBe(newId('reqlog', new Date(at)).slice(0, 17));
    const later = target.toString('latin1', 3, writeNewId('reqlog', at + 1, target, 3));
    expect(later > id).toBe(true);
    expect(later.slice(17)).not.toBe(id.slice(17));
  });
});

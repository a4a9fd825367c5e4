/**
 * Rows in the text format of `COPY … FROM` (https://www.postgresql.org/docs/current/sql-copy.html),
 * written straight into bytes: one line per row, columns separated by tabs, `\N` for null, and
 * backslash, tab, newline and carriage return escaped. A NUL cannot be stored in a text column at
 * all: it becomes U+FFFD, so one odd value never fails a whole batch.
 *
 * Bytes rather than strings because the request log writes a row per API request: building each
 * line as a string and encoding it again cost the API process about 3 µs a row; copying plain
 * ASCII characters one by one into a buffer costs a fraction of that (bench/api/recording-part.ts).
 */
const NEEDS_ESCAPE = /[\\\t\n\r\0]/g;
const ESCAPED: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\uFFFD' };

const TAB = 0x09;
const NEWLINE = 0x0a;
const ZERO = 0x30;
const DOT = 0x2e;

/** A character COPY takes as it is, one byte in UTF-8: printable ASCII except the backslash. */
export const isPlainCopyChar = (code: number): boolean => code >= 0x20 && code <= 0x7e && code !== 0x5c;

/**
 * Copies `value` into `target` at `at` when every character is plain (see isPlainCopyChar) and it
 * fits before `end`; returns the offset after it, or -1 (nothing meaningful was written).
 */
export function copyPlainText(value: string, target: Uint8Array, at: number, end: number): number {
  const length = value.length;
  if (at + length > end) return -1;
  for (let i = 0; i < length; i++) {
    const code = value.charCodeAt(i);
    if (!isPlainCopyChar(code)) return -1;
    target[at + i] = code;
  }
  return at + length;
}

export class CopyTextWriter {
  private buffer: Buffer;
  private at = 0;
  private rowStarted = false;

  constructor(expectedBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(expectedBytes);
  }

  /** A text column. */
  text(value: string | null): this {
    this.column(value === null ? 2 : value.length);
    if (value === null) return this.ascii('\\N');
    const end = copyPlainText(value, this.buffer, this.at, this.buffer.length);
    if (end >= 0) this.at = end;
    else this.writeEscaped(value);
    return this;
  }

  /**
   * One or more columns already in COPY text (tab-separated, escaped), e.g. text copied earlier
   * with copyPlainText, or columns written once by another writer for many rows.
   */
  raw(source: Buffer, start: number, end: number): this {
    this.column(end - start);
    this.at += source.copy(this.buffer, this.at, start, end);
    return this;
  }

  /** A non-negative integer column. */
  integer(value: number): this {
    this.column(20);
    this.digits(Math.trunc(value), 1);
    return this;
  }

  /** A non-negative number column with exactly `fractionDigits` decimals (rounded). */
  fixed(value: number, fractionDigits: number): this {
    this.column(20 + fractionDigits);
    const scale = 10 ** fractionDigits;
    const scaled = Math.round(value * scale);
    const whole = Math.floor(scaled / scale);
    this.digits(whole, 1);
    this.buffer[this.at++] = DOT;
    this.digits(scaled - whole * scale, fractionDigits);
    return this;
  }

  /** Plain ASCII added to the column just written, e.g. a timestamp written in parts. */
  appendPlain(value: string): this {
    this.reserve(value.length);
    for (let i = 0; i < value.length; i++) this.buffer[this.at++] = value.charCodeAt(i);
    return this;
  }

  appendDigits(value: number, minDigits: number): this {
    this.reserve(20);
    this.digits(value, minDigits);
    return this;
  }

  endRow(): void {
    this.reserve(1);
    this.buffer[this.at++] = NEWLINE;
    this.rowStarted = false;
  }

  /** The rows written (a view of the writer's buffer: take it once the rows are done). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.at);
  }

  private column(maxBytes: number): void {
    this.reserve(maxBytes + 1);
    if (this.rowStarted) this.buffer[this.at++] = TAB;
    this.rowStarted = true;
  }

  private ascii(value: string): this {
    for (let i = 0; i < value.length; i++) this.buffer[this.at++] = value.charCodeAt(i);
    return this;
  }

  /** Writes a non-negative integer, zero-padded to `minDigits`. */
  private digits(value: number, minDigits: number): void {
    if (value >= 2 ** 31) {
      // Past 32 bits: the high digits first, then the last nine from integer operations.
      const high = Math.floor(value / 1e9);
      this.digits(high, Math.max(1, minDigits - 9));
      this.digits(value - high * 1e9, 9);
      return;
    }
    let rest = value | 0;
    let count = 1;
    for (let left = rest; left >= 10; left = (left / 10) | 0) count++;
    if (count < minDigits) count = minDigits;
    const buffer = this.buffer;
    for (let i = this.at + count - 1; i >= this.at; i--) {
      const tenth = (rest / 10) | 0;
      buffer[i] = ZERO + rest - tenth * 10;
      rest = tenth;
    }
    this.at += count;
  }

  private writeEscaped(value: string): void {
    const escaped = value.replace(NEEDS_ESCAPE, (char) => ESCAPED[char]!);
    this.reserve(Buffer.byteLength(escaped));
    this.at += this.buffer.write(escaped, this.at, 'utf8');
  }

  private reserve(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    const larger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.at + bytes));
    this.buffer.copy(larger, 0, 0, this.at);
    this.buffer = larger;
  }
}

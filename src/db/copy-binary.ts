/**
 * Rows in the binary format of `COPY … FROM … (FORMAT binary)`
 * (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4), written straight into
 * bytes: a header, then per row its number of fields and each field as a 32-bit length (-1 for
 * null) and its bytes, then a trailer.
 *
 * Binary rather than text because Postgres parses it for less: the request log (one row per API
 * request) cost it about 19 % less CPU per row than the same rows as text, where timestamps,
 * numbers and every character of the text columns are parsed. Text fields are UTF-8; a NUL cannot
 * be stored in a text column at all, so it becomes U+FFFD and one odd value never fails a batch.
 */
export const COPY_BINARY_HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
export const COPY_BINARY_TRAILER = Buffer.from([0xff, 0xff]);

/** Milliseconds from the Unix epoch to Postgres's (2000-01-01 UTC), where its timestamps count from. */
const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);

/**
 * Copies `value` as a text field (its length, then its bytes) into `target` at `at` when every
 * character is ASCII other than NUL, and it fits before `end`; returns the offset after it, or -1
 * (nothing meaningful was written).
 */
export function copyAsciiField(value: string, target: Buffer, at: number, end: number): number {
  const length = value.length;
  if (at + 4 + length > end) return -1;
  target.writeInt32BE(length, at);
  at += 4;
  for (let i = 0; i < length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0 || code > 0x7f) return -1;
    target[at + i] = code;
  }
  return at + length;
}

export class CopyBinaryWriter {
  private buffer: Buffer;
  private at = 0;

  /** Writes into `storage` when given one that is large enough (a buffer kept for reuse), else into a new one. */
  constructor(expectedBytes = 64 * 1024, storage?: Buffer) {
    this.buffer = storage && storage.length >= expectedBytes ? storage : Buffer.allocUnsafe(expectedBytes);
  }

  /** Starts a row of `fields` fields. */
  row(fields: number): this {
    this.reserve(2);
    this.at = this.buffer.writeInt16BE(fields, this.at);
    return this;
  }

  /** A text field. */
  text(value: string | null): this {
    if (value === null) {
      this.reserve(4);
      this.at = this.buffer.writeInt32BE(-1, this.at);
      return this;
    }
    this.reserve(4 + value.length);
    const end = copyAsciiField(value, this.buffer, this.at, this.buffer.length);
    if (end >= 0) {
      this.at = end;
      return this;
    }
    const storable = value.includes('\0') ? value.replaceAll('\0', '\uFFFD') : value;
    const length = Buffer.byteLength(storable);
    this.reserve(4 + length);
    this.at = this.buffer.writeInt32BE(length, this.at);
    this.at += this.buffer.write(storable, this.at, 'utf8');
    return this;
  }

  /** Fields already in the binary format, e.g. written once by another writer for many rows. */
  raw(source: Buffer, start: number, end: number): this {
    this.reserve(end - start);
    this.at += source.copy(this.buffer, this.at, start, end);
    return this;
  }

  /** A `smallint` field. */
  int16(value: number): this {
    this.reserve(6);
    this.at = this.buffer.writeInt32BE(2, this.at);
    this.at = this.buffer.writeInt16BE(value, this.at);
    return this;
  }

  /** A `real` field (the value rounded to single precision, as Postgres would round it). */
  float4(value: number): this {
    this.reserve(8);
    this.at = this.buffer.writeInt32BE(4, this.at);
    this.at = this.buffer.writeFloatBE(value, this.at);
    return this;
  }

  /** A `timestamptz` field from epoch milliseconds: 64-bit microseconds since 2000-01-01 UTC. */
  timestamp(epochMs: number): this {
    this.reserve(12);
    const micros = Math.round((epochMs - POSTGRES_EPOCH_MS) * 1000);
    const high = Math.floor(micros / 2 ** 32);
    this.at = this.buffer.writeInt32BE(8, this.at);
    this.at = this.buffer.writeInt32BE(high, this.at);
    this.at = this.buffer.writeUInt32BE(micros - high * 2 ** 32, this.at);
    return this;
  }

  /** The bytes written (a view of the writer's buffer: take it once the rows are done). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.at);
  }

  /** The whole buffer written into, to be given to a later writer once these bytes are sent. */
  storage(): Buffer {
    return this.buffer;
  }

  private reserve(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    const larger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.at + bytes));
    this.buffer.copy(larger, 0, 0, this.at);
    this.buffer = larger;
  }
}

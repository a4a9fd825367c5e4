/**
 * The request-log rows an instance holds until its next flush, and their COPY (binary format).
 *
 * Rows wait a second or more, long enough for V8 to copy a young object twice and then promote
 * it; an object per request with its path and request id strings cost the API process about 2 µs
 * a request in garbage collection alone. So rows are kept in blocks of columns instead: numbers in
 * typed arrays, the path and request id copied as bytes (their strings die young), and the key,
 * agency, method and client address as references to strings that live on anyway (the cached
 * key's, the socket's). Whole blocks are written out at flush time, straight into COPY's bytes.
 */
import { setImmediate } from 'node:timers/promises';
import { COPY_BINARY_HEADER, COPY_BINARY_TRAILER, CopyBinaryWriter, copyAsciiField } from '../../db/copy-binary.ts';
import { writeNewId } from '../../lib/ids.ts';

/** A request as the recorder is handed it, once the response has gone out. */
export interface RequestLogEntry {
  agencyId: string;
  keyId: string;
  method: string;
  /** Path and query, credentials already redacted. */
  path: string;
  status: number;
  durationMs: number;
  requestId: string;
  clientIp: string | null;
}

/**
 * The columns of the COPY, in its order. The first four repeat from row to row (one key, one
 * client), so a block writes them once for each run of rows and copies the bytes.
 */
export const REQUEST_LOG_COPY_COLUMNS = ['agency_id', 'key_id', 'method', 'client_ip', 'id', 'path', 'request_id', 'status', 'duration_ms', 'created_at'] as const;

/** Rows per block: formatted between two turns of the event loop, so a flush never holds up requests long. */
const BLOCK_ROWS = 500;
const BLOCK_TEXT_BYTES = 64 * 1024;
/** A path or request id longer than this (a URL may reach the 16 KB header limit) is kept as its string. */
const MAX_COPIED_TEXT = 2048;
/** Spare blocks kept for reuse: 20,000 rows, the default request-log buffer. */
const MAX_SPARE_BLOCKS = 40;

class RequestLogBlock {
  /** Rows [first, count) are held; rows before `first` were dropped. */
  first = 0;
  count = 0;
  private textEnd = 0;
  /** Each row's path and request id as COPY fields: row i's end at textEnds[i]. */
  private readonly text = Buffer.allocUnsafe(BLOCK_TEXT_BYTES);
  private readonly textEnds = new Uint32Array(BLOCK_ROWS);
  /** Paths and request ids that could not be copied as ASCII, by row. */
  private uncopied: Map<number, { path: string; requestId: string }> | undefined;
  /** Runs of rows with the same agency, key, method and client address: row i's run is runs[i]. */
  private readonly runs = new Uint16Array(BLOCK_ROWS);
  private readonly runValues: Array<Pick<RequestLogEntry, 'agencyId' | 'keyId' | 'method' | 'clientIp'>> = [];
  private readonly statuses = new Uint16Array(BLOCK_ROWS);
  private readonly durations = new Float64Array(BLOCK_ROWS);
  private readonly arrivals = new Float64Array(BLOCK_ROWS);
  /** Where the rows were last written as COPY data, kept to write them there again. */
  private output: Buffer | undefined;

  get rows(): number {
    return this.count - this.first;
  }

  /** Empties the block for reuse. */
  clear(): void {
    this.first = 0;
    this.count = 0;
    this.textEnd = 0;
    this.runValues.length = 0;
    this.uncopied = undefined;
  }

  /** Adds a row; false when the block is full. */
  add(entry: RequestLogEntry, arrivedMs: number): boolean {
    const row = this.count;
    if (row === BLOCK_ROWS) return false;
    const { path, requestId } = entry;
    if (this.textEnd + 8 + Math.min(path.length, MAX_COPIED_TEXT) + Math.min(requestId.length, MAX_COPIED_TEXT) > BLOCK_TEXT_BYTES) return false;
    this.storeText(row, path, requestId);
    const last = this.runValues.at(-1);
    if (!last || last.keyId !== entry.keyId || last.agencyId !== entry.agencyId || last.method !== entry.method || last.clientIp !== entry.clientIp) {
      this.runValues.push({ agencyId: entry.agencyId, keyId: entry.keyId, method: entry.method, clientIp: entry.clientIp });
    }
    this.runs[row] = this.runValues.length - 1;
    this.statuses[row] = entry.status;
    this.durations[row] = entry.durationMs;
    this.arrivals[row] = arrivedMs;
    this.count++;
    return true;
  }

  private storeText(row: number, path: string, requestId: string): void {
    const start = this.textEnd;
    let end = path.length <= MAX_COPIED_TEXT && requestId.length <= MAX_COPIED_TEXT ? copyAsciiField(path, this.text, start, BLOCK_TEXT_BYTES) : -1;
    if (end >= 0) end = copyAsciiField(requestId, this.text, end, BLOCK_TEXT_BYTES);
    if (end < 0) (this.uncopied ??= new Map()).set(row, { path, requestId });
    else this.textEnd = end;
    this.textEnds[row] = this.textEnd;
  }

  /**
   * The held rows in COPY's binary format (REQUEST_LOG_COPY_COLUMNS), without header or trailer.
   * The bytes are the block's own, valid until it is cleared for reuse (once its batch is written).
   */
  copyRows(): Buffer {
    const writer = new CopyBinaryWriter(this.textEnd + this.rows * 150, this.output);
    const runs = this.runValues.map(({ agencyId, keyId, method, clientIp }) => new CopyBinaryWriter(160).text(agencyId).text(keyId).text(method).text(clientIp).bytes());
    for (let row = this.first; row < this.count; row++) {
      const arrivedMs = this.arrivals[row]!;
      const run = runs[this.runs[row]!]!;
      writer.row(REQUEST_LOG_COPY_COLUMNS.length).raw(run, 0, run.length).raw(idField, 0, writeNewId('reqlog', arrivedMs, idField, 4));
      const uncopied = this.uncopied?.get(row);
      if (uncopied) writer.text(uncopied.path).text(uncopied.requestId);
      else writer.raw(this.text, row === 0 ? 0 : this.textEnds[row - 1]!, this.textEnds[row]!);
      writer.int16(this.statuses[row]!).float4(this.durations[row]!).timestamp(arrivedMs);
    }
    this.output = writer.storage();
    return writer.bytes();
  }
}

/** A row id as a field: its length, then the id (writeNewId). */
const idField = Buffer.alloc(4 + 'reqlog_'.length + 26);
idField.writeInt32BE(idField.length - 4, 0);

/** The rows waiting for a flush, oldest first. */
export class RequestLogQueue {
  private blocks: RequestLogBlock[] = [];
  /**
   * Blocks whose rows were written, kept for new rows: a block's arrays live outside V8's heap,
   * and allocating them afresh for every 500 requests made V8 collect more often (it counts that
   * memory against its heap).
   */
  private readonly spare: RequestLogBlock[] = [];
  length = 0;

  push(entry: RequestLogEntry, arrivedMs: number): void {
    const last = this.blocks.at(-1);
    if (!last || !last.add(entry, arrivedMs)) {
      const block = this.spare.pop() ?? new RequestLogBlock();
      block.add(entry, arrivedMs);
      this.blocks.push(block);
    }
    this.length++;
  }

  /** Takes back the blocks of a batch once it is written. */
  reuse(batch: RequestLogBatch): void {
    for (const block of batch.blocks) {
      if (this.spare.length >= MAX_SPARE_BLOCKS) return;
      block.clear();
      this.spare.push(block);
    }
  }

  /** Drops the oldest rows until at most `limit` are held; returns how many went. */
  keepAtMost(limit: number): number {
    let dropping = Math.max(0, this.length - limit);
    const dropped = dropping;
    while (dropping > 0) {
      const oldest = this.blocks[0]!;
      const fromThis = Math.min(dropping, oldest.rows);
      oldest.first += fromThis;
      dropping -= fromThis;
      if (oldest.rows === 0) this.blocks.shift();
    }
    this.length -= dropped;
    return dropped;
  }

  /** Takes every held row out, as batches of up to `rowsPerBatch` rows (a block never splits). */
  takeAll(rowsPerBatch: number): RequestLogBatch[] {
    const batches: RequestLogBatch[] = [];
    for (const block of this.blocks) {
      const current = batches.at(-1);
      if (current && current.rows + block.rows <= rowsPerBatch) current.add(block);
      else batches.push(new RequestLogBatch(block));
    }
    this.blocks = [];
    this.length = 0;
    return batches;
  }

  /** Puts batches that were not written back ahead of the rows that came since. */
  putBack(batches: readonly RequestLogBatch[]): void {
    const blocks = batches.flatMap((batch) => batch.blocks);
    this.blocks = blocks.concat(this.blocks);
    for (const block of blocks) this.length += block.rows;
  }
}

/** Rows written with one COPY. */
export class RequestLogBatch {
  readonly blocks: RequestLogBlock[];
  rows: number;

  constructor(block: RequestLogBlock) {
    this.blocks = [block];
    this.rows = block.rows;
  }

  add(block: RequestLogBlock): void {
    this.blocks.push(block);
    this.rows += block.rows;
  }

  /** The batch in COPY's binary format, a block at a time with a turn of the event loop between blocks. */
  async *copyData(): AsyncGenerator<Uint8Array> {
    yield COPY_BINARY_HEADER;
    for (const [index, block] of this.blocks.entries()) {
      if (index > 0) await setImmediate();
      yield block.copyRows();
    }
    yield COPY_BINARY_TRAILER;
  }
}

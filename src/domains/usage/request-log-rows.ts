/**
 * The request-log rows an instance holds until its next flush, and their COPY text.
 *
 * Rows wait a second or more, long enough for V8 to copy a young object twice and then promote
 * it; an object per request with its path and request id strings cost the API process about 2 µs
 * a request in garbage collection alone. So rows are kept in blocks of columns instead: numbers in
 * typed arrays, the path and request id copied as bytes (their strings die young), and the key,
 * agency, method and client address as references to strings that live on anyway (the cached
 * key's, the socket's). Whole blocks are formatted at flush time, straight into bytes.
 */
import { setImmediate } from 'node:timers/promises';
import { CopyTextWriter, copyPlainText } from '../../db/copy-text.ts';
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
 * The columns of the COPY text, in its order. The first four repeat from row to row (one key, one
 * client), so a block writes them once for each run of rows and copies the bytes.
 */
export const REQUEST_LOG_COPY_COLUMNS = ['agency_id', 'key_id', 'method', 'client_ip', 'id', 'path', 'request_id', 'status', 'duration_ms', 'created_at'] as const;

/** Rows per block: formatted between two turns of the event loop, so a flush never holds up requests long. */
const BLOCK_ROWS = 500;
const BLOCK_TEXT_BYTES = 64 * 1024;
/** A path or request id longer than this (a URL may reach the 16 KB header limit) is kept as its string. */
const MAX_COPIED_TEXT = 2048;
const TAB = 0x09;

class RequestLogBlock {
  /** Rows [first, count) are held; rows before `first` were dropped. */
  first = 0;
  count = 0;
  private textEnd = 0;
  /** Each row's path, a tab and its request id, as COPY text: row i's end at textEnds[i]. */
  private readonly text = Buffer.allocUnsafe(BLOCK_TEXT_BYTES);
  private readonly textEnds = new Uint32Array(BLOCK_ROWS);
  /** Paths and request ids that could not be copied as plain bytes, by row. */
  private uncopied: Map<number, { path: string; requestId: string }> | undefined;
  /** Runs of rows with the same agency, key, method and client address: row i's run is runs[i]. */
  private readonly runs = new Uint16Array(BLOCK_ROWS);
  private readonly runValues: Array<Pick<RequestLogEntry, 'agencyId' | 'keyId' | 'method' | 'clientIp'>> = [];
  private readonly statuses = new Uint16Array(BLOCK_ROWS);
  private readonly durations = new Float64Array(BLOCK_ROWS);
  private readonly arrivals = new Float64Array(BLOCK_ROWS);

  get rows(): number {
    return this.count - this.first;
  }

  /** Adds a row; false when the block is full. */
  add(entry: RequestLogEntry, arrivedMs: number): boolean {
    const row = this.count;
    if (row === BLOCK_ROWS) return false;
    const { path, requestId } = entry;
    if (this.textEnd + Math.min(path.length, MAX_COPIED_TEXT) + 1 + Math.min(requestId.length, MAX_COPIED_TEXT) > BLOCK_TEXT_BYTES) return false;
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
    let end = path.length <= MAX_COPIED_TEXT && requestId.length <= MAX_COPIED_TEXT ? copyPlainText(path, this.text, start, BLOCK_TEXT_BYTES) : -1;
    if (end >= 0) {
      this.text[end] = TAB;
      end = copyPlainText(requestId, this.text, end + 1, BLOCK_TEXT_BYTES);
    }
    if (end < 0) (this.uncopied ??= new Map()).set(row, { path, requestId });
    else this.textEnd = end;
    this.textEnds[row] = this.textEnd;
  }

  /** The held rows as COPY text (REQUEST_LOG_COPY_COLUMNS). */
  copyText(): Buffer {
    const writer = new CopyTextWriter(this.textEnd + this.rows * 160);
    const runs = this.runValues.map(({ agencyId, keyId, method, clientIp }) => new CopyTextWriter(128).text(agencyId).text(keyId).text(method).text(clientIp).bytes());
    const timestamps = isoTimestamps();
    for (let row = this.first; row < this.count; row++) {
      const arrivedMs = this.arrivals[row]!;
      const run = runs[this.runs[row]!]!;
      writer.raw(run, 0, run.length).raw(idBytes, 0, writeNewId('reqlog', arrivedMs, idBytes, 0));
      const uncopied = this.uncopied?.get(row);
      if (uncopied) writer.text(uncopied.path).text(uncopied.requestId);
      else writer.raw(this.text, row === 0 ? 0 : this.textEnds[row - 1]!, this.textEnds[row]!);
      writer.integer(this.statuses[row]!).fixed(this.durations[row]!, 6);
      timestamps.write(writer, arrivedMs);
      writer.endRow();
    }
    return writer.bytes();
  }
}

const idBytes = Buffer.alloc(64);

/**
 * ISO 8601 UTC timestamps of epoch milliseconds, as toISOString writes them, for rows that arrive
 * in time order: the date and time up to the second are made once per second, not once per row.
 */
function isoTimestamps() {
  let second = Number.NaN;
  let prefix = Buffer.alloc(0);
  return {
    write(writer: CopyTextWriter, ms: number): void {
      const start = Math.floor(ms / 1000) * 1000;
      const millis = ms - start;
      if (start !== second) {
        second = start;
        prefix = Buffer.from(new Date(second).toISOString().slice(0, 20), 'latin1');
      }
      writer.raw(prefix, 0, prefix.length).appendDigits(millis, 3).appendPlain('Z');
    },
  };
}

/** The rows waiting for a flush, oldest first. */
export class RequestLogQueue {
  private blocks: RequestLogBlock[] = [];
  length = 0;

  push(entry: RequestLogEntry, arrivedMs: number): void {
    const last = this.blocks.at(-1);
    if (!last || !last.add(entry, arrivedMs)) {
      const block = new RequestLogBlock();
      block.add(entry, arrivedMs);
      this.blocks.push(block);
    }
    this.length++;
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

  /** The batch's COPY text, a block at a time with a turn of the event loop between blocks. */
  async *copyText(): AsyncGenerator<Uint8Array> {
    for (const [index, block] of this.blocks.entries()) {
      if (index > 0) await setImmediate();
      yield block.copyText();
    }
  }
}

/**
 * Rows as a text source's bytes: one line a row, cells separated by tabs, decoded only when somebody asks. The
 * PostgreSQL source (COPY's text format) and the DuckDB source (DuckDB's tab-separated CSV) yield these instead
 * of records, so that the planner can count a row that only repeats its list member without making a single
 * JavaScript string of it (Planner.addTextRows, engine/segment/row-print.ts): on a re-export that is nearly
 * every row, and decoding them was most of a plan's time (BENCHMARKS.md, segment sources). Every other consumer
 * (watch's poll, validate, the tests) asks for `records()`, which decodes them all.
 */
import type { SegmentRecord } from './record.ts';
import { viewOf } from './row-print.ts';

/** Makes the record of one row from its bytes: the source's own decoding (unescaping, type rewrites). */
export type DecodeRow = (bytes: Buffer, start: number, end: number, line: number) => SegmentRecord;

/** Row i is `bytes[starts[i], ends[i])`, without its newline. */
export interface RowSpans {
  readonly bytes: Buffer;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly length: number;
}

/** What a source says once about all its batches. */
export interface TextFormat {
  /** The columns asked for, in the order of the cells. */
  readonly columns: readonly string[];
  /**
   * Whether a cell without the dialect's escape byte is its value exactly: false when the source rewrites some
   * column's text (PostgreSQL's t/f booleans, timestamps made ISO), and then every row is decoded.
   */
  readonly verbatim: boolean;
  readonly decode: DecodeRow;
}

/**
 * A batch of rows still in bytes, row i on line `firstLine + i`. Its bytes are good until the next batch is asked
 * for: a source may read the next rows into the same buffer (DuckDB's does), so a consumer that keeps rows keeps
 * their records (`record`, `records`), never the batch.
 */
export class TextRows {
  readonly bytes: Buffer;
  /** The same bytes, for printRow (row-print.ts). */
  readonly view: DataView;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly length: number;
  readonly columns: readonly string[];
  readonly verbatim: boolean;
  readonly #decode: DecodeRow;

  constructor(
    spans: RowSpans,
    readonly firstLine: number,
    format: TextFormat,
  ) {
    this.bytes = spans.bytes;
    this.view = viewOf(spans.bytes);
    this.starts = spans.starts;
    this.ends = spans.ends;
    this.length = spans.length;
    this.columns = format.columns;
    this.verbatim = format.verbatim;
    this.#decode = format.decode;
  }

  line(i: number): number {
    return this.firstLine + i;
  }

  record(i: number): SegmentRecord {
    return this.#decode(this.bytes, this.starts[i]!, this.ends[i]!, this.firstLine + i);
  }

  records(): SegmentRecord[] {
    const out: SegmentRecord[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.record(i);
    return out;
  }
}

/** What a segment source streams: records, or rows still as bytes (text sources). */
export type SegmentBatch = SegmentRecord[] | TextRows;

/** The line of row `i` of a batch. */
export function lineOf(batch: SegmentBatch, i: number): number {
  return batch instanceof TextRows ? batch.line(i) : batch[i]!.line;
}

/** The batch's records, decoded when it is still bytes. */
export function recordsOf(batch: SegmentBatch): SegmentRecord[] {
  return batch instanceof TextRows ? batch.records() : batch;
}

/**
 * Collects row boundaries while a source scans a chunk. One builder per read: its arrays grow to the largest
 * chunk's rows and are copied out per batch.
 */
export class RowSpansBuilder {
  #starts = new Int32Array(1024);
  #ends = new Int32Array(1024);
  #n = 0;

  add(start: number, end: number): void {
    if (this.#n === this.#starts.length) {
      const starts = new Int32Array(this.#n * 2);
      starts.set(this.#starts);
      this.#starts = starts;
      const ends = new Int32Array(this.#n * 2);
      ends.set(this.#ends);
      this.#ends = ends;
    }
    this.#starts[this.#n] = start;
    this.#ends[this.#n] = end;
    this.#n++;
  }

  get size(): number {
    return this.#n;
  }

  /** The rows added since the last take, over `bytes`; the builder is empty again. */
  take(bytes: Buffer): RowSpans {
    const n = this.#n;
    this.#n = 0;
    return { bytes, starts: this.#starts.slice(0, n), ends: this.#ends.slice(0, n), length: n };
  }
}

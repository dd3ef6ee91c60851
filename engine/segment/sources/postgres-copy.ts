/**
 * `COPY (query) TO STDOUT` read straight off pg's connection, without pg-copy-streams. PostgreSQL sends a copy-out
 * as one CopyData message a row (postgresql.org/docs/current/protocol-flow.html#PROTOCOL-COPY: "always one per
 * row"), so the rows are already framed in the socket's bytes: this reader finds them there and hands them on as
 * spans over the chunk that came (text-rows.ts), copying nothing but a message a chunk cut in two. pg-copy-streams
 * made a Buffer view a row and concatenated them again into each chunk it pushed: about half of a plan's time on a
 * PostgreSQL segment once rows were no longer decoded (BENCHMARKS.md, segment sources).
 *
 * It is a pg "submittable", as pg-copy-streams' copy-to is, and takes the connection much the same way: pg's own
 * reader of the socket's chunks is set aside while the copy runs, and handed back the bytes from the first message
 * that is not the copy's own (CopyDone, or an ErrorResponse) and every chunk after it, so that pg reads
 * CommandComplete, ReadyForQuery or the error as it always does and calls back here. The chunks are taken as the
 * socket emits them (a socket's read() would join all it holds into a new Buffer), and the socket is paused while
 * a few are waiting to be planned: the server then waits, as TCP makes it.
 */
import type { Hash } from 'node:crypto';
import type { Socket } from 'node:net';
import { RowSpansBuilder, type RowSpans } from '../text-rows.ts';

/** The parts of pg's Connection a submittable uses (pg/lib/connection.js). */
interface PgConnection {
  stream: Socket;
  query(text: string): void;
}

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const ERROR_RESPONSE = 0x45; // 'E'
const NEWLINE = 0x0a;
/** Chunks (64 KB each, as Node reads a socket) that may wait to be planned before the socket is paused. */
const QUEUED_CHUNKS = 16;

export class CopyOut {
  readonly text: string;
  readonly #hash: Hash;
  readonly #spans = new RowSpansBuilder();
  #connection: PgConnection | undefined;
  #pgReader: ((chunk: Buffer) => void) | undefined;
  /** The start of a message the last chunk cut. */
  #carry: Buffer | undefined;
  /** Chunks the socket gave and the rows have not reached yet. */
  #queue: Buffer[] = [];
  #attached = false;
  #ended = false;
  #error: unknown;
  #wake: (() => void) | undefined;
  readonly #onData = (chunk: Buffer): void => {
    this.#queue.push(chunk);
    if (this.#queue.length >= QUEUED_CHUNKS) this.#connection!.stream.pause();
    this.#wakeUp();
  };

  /** `hash` is fed every CopyData message as it came (its type, length and row): the same rows, the same bytes. */
  constructor(text: string, hash: Hash) {
    this.text = text;
    this.#hash = hash;
  }

  /** Called by pg's Client when the query's turn comes. */
  submit(connection: PgConnection): void {
    this.#connection = connection;
    const stream = connection.stream;
    const readers = stream.listeners('data');
    if (readers.length !== 1) throw new Error(`pg's connection has ${readers.length} socket readers where one was expected`);
    this.#pgReader = readers[0] as (chunk: Buffer) => void;
    stream.removeListener('data', this.#pgReader);
    stream.on('data', this.#onData);
    this.#attached = true;
    connection.query(this.text);
  }

  /** pg: the server refused or stopped the copy (after #detach handed it the ErrorResponse). */
  handleError(err: unknown): void {
    this.#error = err;
    this.#wakeUp();
  }

  handleCommandComplete(): void {}

  handleReadyForQuery(): void {}

  /**
   * The rows, a batch of spans a chunk, until the server's CopyDone; the server's error is thrown. The caller
   * races each step with the connection's loss (a pending read never settles when the socket closes).
   */
  async *rows(): AsyncGenerator<RowSpans> {
    for (;;) {
      if (this.#error !== undefined) throw this.#error;
      if (this.#ended) {
        if (this.#carry !== undefined) throw new Error('the COPY output ended in the middle of a row');
        return;
      }
      const chunk = this.#attached ? this.#next() : undefined;
      if (chunk === undefined) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        continue;
      }
      const stream = this.#connection!.stream;
      if (this.#queue.length < QUEUED_CHUNKS / 2 && stream.isPaused()) stream.resume();
      let from = 0;
      const carry = this.#carry;
      if (carry !== undefined) {
        // The message the last chunk cut: only its own bytes are joined, not the whole chunk.
        const head = carry.length >= 5 ? carry : Buffer.concat([carry, chunk.subarray(0, 5 - carry.length)]);
        from = head.length - carry.length;
        if (head.length < 5) {
          this.#carry = head;
          continue;
        }
        const take = Math.min(1 + head.readUInt32BE(1) - head.length, chunk.length - from);
        const joined = Buffer.concat([head, chunk.subarray(from, from + take)]);
        from += take;
        this.#carry = undefined;
        const spans = this.#parse(joined, 0, chunk.subarray(from));
        if (spans !== undefined) yield spans;
        if (!this.#attached || from === chunk.length) continue;
      }
      const spans = this.#parse(chunk, from);
      if (spans !== undefined) yield spans;
    }
  }

  /**
   * The next bytes to parse: the chunk first queued, or all the queued chunks as one when several wait (the
   * planner fell behind the server). The server flushes every 8 KB, so chunks are often small: one batch each would
   * cost more to hand through the generators than to copy into one.
   */
  #next(): Buffer | undefined {
    const queue = this.#queue;
    if (queue.length <= 1) return queue.shift();
    this.#queue = [];
    return Buffer.concat(queue);
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /**
   * The complete CopyData messages of `buf` from `pos` on, as rows; keeps what a chunk's end cut for the next one,
   * and hands pg the rest from a CopyDone or ErrorResponse on (then `after`: what of the chunk follows `buf`).
   */
  #parse(buf: Buffer, pos: number, after?: Buffer): RowSpans | undefined {
    const spans = this.#spans;
    const end = buf.length;
    let hashFrom = pos;
    while (pos + 5 <= end) {
      const code = buf[pos]!;
      // The length (big-endian, itself included), read by hand: this runs once a row.
      const next = pos + 1 + ((buf[pos + 1]! << 24) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 8) | buf[pos + 4]!);
      if (code === COPY_DATA) {
        if (next > end) break;
        // A row's message holds the row and its newline.
        if (next - 1 < pos + 5 || buf[next - 1] !== NEWLINE) throw new Error('a COPY row arrived without its line end');
        spans.add(pos + 5, next - 1);
        pos = next;
        continue;
      }
      if (code === COPY_DONE || code === ERROR_RESPONSE) {
        this.#hash.update(buf.subarray(hashFrom, pos));
        if (code === COPY_DONE) this.#ended = true;
        this.#detach(after === undefined || after.length === 0 ? [buf.subarray(pos)] : [buf.subarray(pos), after]);
        return spans.size > 0 ? spans.take(buf) : undefined;
      }
      // CopyOutResponse, and what the protocol lets a server send at any time (NoticeResponse, ParameterStatus,
      // NotificationResponse): not rows, and not hashed.
      if (next > end) break;
      this.#hash.update(buf.subarray(hashFrom, pos));
      pos = next;
      hashFrom = pos;
    }
    this.#hash.update(buf.subarray(hashFrom, pos));
    // A copy: the chunk should not stay alive for a few bytes.
    if (pos < end) this.#carry = Buffer.from(buf.subarray(pos));
    return spans.size > 0 ? spans.take(buf) : undefined;
  }

  /** Gives the socket back to pg, with the bytes from the first message that is not the copy's own, and after. */
  #detach(rest: Buffer[]): void {
    const stream = this.#connection!.stream;
    this.#attached = false;
    stream.removeListener('data', this.#onData);
    stream.on('data', this.#pgReader!);
    const queued = this.#queue;
    this.#queue = [];
    for (const chunk of rest) this.#pgReader!(chunk);
    for (const chunk of queued) this.#pgReader!(chunk);
    if (stream.isPaused()) stream.resume();
  }
}

/**
 * Splits what DuckDB's CSV writer produces for `COPY ... TO (FORMAT csv, HEADER false, DELIMITER '\t')` into
 * rows, chunk by chunk as the bytes are read (duckdb.ts), and rows into cells when they are decoded
 * (duckDbCells; the planner decodes only the rows it must, text-rows.ts). Every cell is text there (the query casts
 * each column to VARCHAR), so the writer's rules are all there is to undo:
 *   - NULL is written as nothing, unquoted: it comes back as undefined;
 *   - a value that needs quoting (a tab, a newline, a carriage return, a double quote, an empty string, a leading
 *     '#') is wrapped in double quotes with each quote doubled (RFC 4180): it comes back as written, '' included;
 *   - rows end with '\n', also inside a quoted value, so finding a row's end has to know whether it is in quotes.
 * A row without a '"' (nearly all of them) is decoded once and split on tabs; only rows with quotes go through
 * the small unquoting parser. Rows are decoded one by one from the bytes, so a kept value holds on to its row's
 * text, never to a whole chunk; a row (or a UTF-8 sequence) cut by a chunk's end waits for the next chunk.
 */
import { InternalError } from '../../errors.ts';
import { RowSpansBuilder, type RowSpans } from '../text-rows.ts';

const NEWLINE = 0x0a;
const QUOTE = 0x22;

export class DuckDbTsvRows {
  readonly #spans = new RowSpansBuilder();
  /** The bytes of a row that began in an earlier chunk and has not ended yet. */
  #pending: Buffer[] = [];
  /** Whether the pending bytes end inside a quoted value. */
  #pendingInQuotes = false;
  /** Set by #rowEnd when it returns -1: whether the scanned bytes ended inside quotes. */
  #endedInQuotes = false;

  /**
   * The complete rows in `chunk` (with what earlier chunks left): at most two spans, the row that earlier chunks
   * began (its bytes joined) and the rows of this chunk. Nothing of `chunk` is kept past the spans' use: the
   * reader may read the next bytes into the same buffer once they are planned.
   */
  push(chunk: Buffer): RowSpans[] {
    const out: RowSpans[] = [];
    const spans = this.#spans;
    let pos = 0;
    if (this.#pending.length > 0) {
      const end = this.#rowEnd(chunk, 0, this.#pendingInQuotes);
      if (end < 0) {
        // A copy: the chunk's buffer is the reader's, reused once this returns (duckdb.ts).
        this.#pending.push(Buffer.from(chunk));
        this.#pendingInQuotes = this.#endedInQuotes;
        return out;
      }
      this.#pending.push(chunk.subarray(0, end));
      const row = Buffer.concat(this.#pending);
      this.#pending = [];
      this.#pendingInQuotes = false;
      spans.add(0, row.length);
      out.push(spans.take(row));
      pos = end + 1;
    }
    // The next quote at or after pos (Infinity when there is none): rows before it are split without a scan.
    let quote = nextQuote(chunk, pos);
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, pos);
      if (newline < 0) break;
      if (quote > newline) {
        spans.add(pos, newline);
        pos = newline + 1;
        continue;
      }
      const end = this.#rowEnd(chunk, pos, false);
      if (end < 0) break;
      spans.add(pos, end);
      pos = end + 1;
      quote = nextQuote(chunk, pos);
    }
    if (pos < chunk.length) {
      // A copy: the chunk's buffer is the reader's, reused once this returns (duckdb.ts).
      this.#pending.push(Buffer.from(chunk.subarray(pos)));
      this.#rowEnd(chunk, pos, false);
      this.#pendingInQuotes = this.#endedInQuotes;
    }
    if (spans.size > 0) out.push(spans.take(chunk));
    return out;
  }

  /** Throws when the bytes ended in the middle of a row: the writer always ends its last row with a newline. */
  end(): void {
    if (this.#pending.length > 0) throw new InternalError(`DuckDB's CSV output ended inside a row (${this.#pending.reduce((n, b) => n + b.length, 0)} bytes without a newline)`);
  }

  /** The index of the newline that ends the row starting at `from` (outside quotes), or -1 when `buf` ends first. */
  #rowEnd(buf: Buffer, from: number, inQuotes: boolean): number {
    let p = from;
    let inside = inQuotes;
    for (;;) {
      if (inside) {
        const q = buf.indexOf(QUOTE, p);
        if (q < 0) {
          this.#endedInQuotes = true;
          return -1;
        }
        inside = false;
        p = q + 1;
        continue;
      }
      const newline = buf.indexOf(NEWLINE, p);
      const q = buf.indexOf(QUOTE, p);
      if (newline >= 0 && (q < 0 || newline < q)) return newline;
      if (q < 0) {
        this.#endedInQuotes = false;
        return -1;
      }
      inside = true;
      p = q + 1;
    }
  }
}

/**
 * The `width` cells of one row's text (a row of push's spans, decoded); NULL is undefined. A row without a '"' is
 * split on tabs; one with quotes goes through the unquoting parser.
 */
export function duckDbCells(text: string, width: number): Array<string | undefined> {
  const quoted = text.includes('"');
  const cells: Array<string | undefined> = quoted ? unquote(text) : text.split('\t');
  if (cells.length !== width) throw new InternalError(`DuckDB's CSV output has a row of ${cells.length} cells where ${width} were asked for`);
  if (!quoted) for (let c = 0; c < cells.length; c++) if (cells[c] === '') cells[c] = undefined;
  return cells;
}

function nextQuote(buf: Buffer, from: number): number {
  const q = buf.indexOf(QUOTE, from);
  return q < 0 ? Number.POSITIVE_INFINITY : q;
}

/** One row's cells, RFC 4180 quoting undone; an unquoted empty cell (NULL) is undefined, a quoted one ''. */
function unquote(text: string): Array<string | undefined> {
  const cells: Array<string | undefined> = [];
  let p = 0;
  for (;;) {
    if (text.charCodeAt(p) === QUOTE) {
      let value = '';
      let from = p + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) throw new InternalError("DuckDB's CSV output has a quoted value without its closing quote");
        value += text.slice(from, q);
        if (text.charCodeAt(q + 1) === QUOTE) {
          value += '"';
          from = q + 2;
          continue;
        }
        p = q + 1;
        break;
      }
      cells.push(value);
      if (p >= text.length) return cells;
      // After a closing quote comes the delimiter (the writer puts nothing else there).
      p++;
      continue;
    }
    const tab = text.indexOf('\t', p);
    const raw = tab < 0 ? text.slice(p) : text.slice(p, tab);
    cells.push(raw === '' ? undefined : raw);
    if (tab < 0) return cells;
    p = tab + 1;
  }
}

/**
 * Streams a CSV segment (RFC 4180: quoted fields, embedded newlines, CRLF, a UTF-8 BOM, a header row) in batches
 * of records, one batch per read chunk, so the caller pays one await per chunk and not per row.
 */
import { createReadStream } from 'node:fs';
import { CsvError, parse, type Options, type Parser } from 'csv-parse';
import { InternalError } from '../errors.ts';
import { Utf8Guard, sniffBinary } from './bytes.ts';
import { SegmentError } from './errors.ts';
import { MAX_RECORD_BYTES, READ_CHUNK_BYTES, type SegmentRecord } from './record.ts';

/**
 * csv-parse through its public stream API, remembering where each record starts. In flowing mode a Transform
 * emits each record as 'data' synchronously while `write` parses (nothing is buffered: every record is taken at
 * once), so the parser's public `info` then describes that very record: its last line and the empty lines
 * skipped so far. A parse error arrives as the stream's 'error' event and is kept as data.
 */
class LineTrackingParser {
  readonly records: string[][] = [];
  readonly lines: number[] = [];
  failure: CsvError | undefined;
  /** Set when a record arrived late, so its line is unknown: our bug, reported as such by the reader. */
  broken: InternalError | undefined;
  readonly #parser: Parser;
  #taken = 0;
  #prevEnd = 0;
  #prevEmpty = 0;
  /** csv-parse counts a CRLF inside a quoted field as two lines; this is how many it has counted too many. */
  #overcount = 0;

  constructor(options: Options) {
    this.#parser = parse(options);
    this.#parser.on('data', (record: string[]) => this.#take(record));
    this.#parser.on('error', (err) => {
      if (err instanceof CsvError) this.failure ??= err;
      else throw err;
    });
  }

  /** Line where the record being parsed (or just parsed) starts. */
  startLine(): number {
    return this.#prevEnd + 1 + (this.#parser.info.empty_lines - this.#prevEmpty);
  }

  write(chunk: Buffer): void {
    if (this.failure === undefined) this.#parser.write(chunk);
  }

  /** Ends the input; resolves once every record is taken or parsing failed. */
  end(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.failure !== undefined) return resolve();
      // Destroyed by an error whose 'error' event is still on its way (it is emitted on the next tick).
      if (this.#parser.destroyed) return void setImmediate(resolve);
      this.#parser.once('error', () => resolve());
      this.#parser.once('end', () => resolve());
      this.#parser.end();
    });
  }

  #take(fields: string[]): void {
    const info = this.#parser.info;
    // The line numbers are only right if this record is the one just parsed (see the class comment).
    if (info.records !== ++this.#taken) this.broken ??= new InternalError(`csv: record ${this.#taken} arrived after the parser had moved on to record ${info.records}`);
    const start = this.#prevEnd + 1 + (info.empty_lines - this.#prevEmpty);
    let end = info.lines - this.#overcount;
    if (end > start) end -= this.#countQuotedCrlf(fields);
    this.#prevEnd = end;
    this.#prevEmpty = info.empty_lines;
    this.records.push(fields);
    this.lines.push(start);
  }

  #countQuotedCrlf(fields: string[]): number {
    let n = 0;
    for (const f of fields) for (let i = f.indexOf('\r\n'); i !== -1; i = f.indexOf('\r\n', i + 2)) n++;
    this.#overcount += n;
    return n;
  }
}

interface Projection {
  /** Picks the requested columns of a record into an object. */
  values: (fields: string[]) => Record<string, string | undefined>;
}

/**
 * A picker compiled for this header: an object literal of fixed shape is several times faster than a loop of
 * keyed stores, and this runs once per row. Safe: names are JSON-quoted and indexes are integers we computed.
 */
export function compilePicker(names: readonly string[], indexes: number[]): Projection['values'] {
  // A computed key for __proto__: as a plain literal key it would set the prototype instead of a property.
  const key = (n: string) => (n === '__proto__' ? `[${JSON.stringify(n)}]` : JSON.stringify(n));
  const body = names.map((n, i) => `${key(n)}: f[${indexes[i]!}]`).join(', ');
  return new Function('f', `return { ${body} };`) as Projection['values'];
}

/** Reads `path` (shown to the user as `file`) and yields the `columns` of each record. */
/** `onChunk` sees every byte read, in order (the file source fingerprints what it streamed with it). */
export async function* readCsvBatches(path: string, file: string, columns: readonly string[], onChunk?: (chunk: Buffer) => void): AsyncGenerator<SegmentRecord[]> {
  const parser = new LineTrackingParser({ bom: true, skip_empty_lines: true, max_record_size: MAX_RECORD_BYTES });
  const guard = new Utf8Guard(path, file);
  let projection: Projection | undefined;
  let first = true;

  const drain = (): SegmentRecord[] => {
    if (parser.broken) throw parser.broken;
    if (parser.failure) throw fromCsvError(parser.failure, parser, file);
    const { records, lines } = parser;
    let i = 0;
    if (projection === undefined && records.length > 0) {
      projection = project(records[0]!, columns, file, lines[0]!);
      i = 1;
    }
    const out: SegmentRecord[] = [];
    if (projection !== undefined) {
      const pick = projection.values;
      for (; i < records.length; i++) out.push({ line: lines[i]!, values: pick(records[i]!) });
    }
    records.length = 0;
    lines.length = 0;
    return out;
  };

  for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }) as AsyncIterable<Buffer>) {
    onChunk?.(chunk);
    if (first) {
      sniffBinary(chunk, file);
      first = false;
    }
    await guard.check(chunk);
    // A parse error arrives a tick after the chunk that caused it (the stream's 'error' event).
    if (parser.failure) throw fromCsvError(parser.failure, parser, file);
    parser.write(chunk);
    const batch = drain();
    if (batch.length > 0) yield batch;
  }
  await guard.finish();
  await parser.end();
  const batch = drain();
  if (projection === undefined) {
    throw new SegmentError({
      message: 'the file is empty: there is no header row',
      file,
      hint: `a CSV segment starts with a header row naming its columns (e.g. ${columns.join(',')}); a header with no rows is a valid empty segment`,
    });
  }
  if (batch.length > 0) yield batch;
}

/** Checks the header and finds the requested columns in it. */
function project(header: string[], columns: readonly string[], file: string, line: number): Projection {
  const seen = checkHeader(header, columns, file, line);
  return { values: compilePicker(columns, columns.map((c) => seen.get(c)!)) };
}

/**
 * The header rules (no column named twice, every requested column present), as the reader and the file source's
 * check (before any request) both apply them. Returns each column's index by name.
 */
export function checkHeader(header: readonly string[], columns: readonly string[], file: string, line: number): Map<string, number> {
  const names = header.map((h) => h.trim());
  const seen = new Map<string, number>();
  for (const [i, name] of names.entries()) {
    if (name === '') continue;
    const before = seen.get(name);
    if (before !== undefined) {
      throw new SegmentError({
        message: `the header names column ${quoteColumn(name)} twice (columns ${before + 1} and ${i + 1})`,
        file,
        line,
        hint: 'rename or remove one of them: acsync cannot tell which one holds the value',
      });
    }
    seen.set(name, i);
  }
  const missing = columns.filter((c) => !seen.has(c));
  if (missing.length > 0) {
    const what = missing.length === 1 ? `column ${missing[0]} not found` : `columns ${missing.join(', ')} not found`;
    const single = header.length === 1 ? header[0]! : undefined;
    const separator = single === undefined ? undefined : [';', '\t', '|'].find((s) => single.includes(s));
    if (single !== undefined && separator !== undefined) {
      const shown = separator === '\t' ? 'tab' : `\`${separator}\``;
      throw new SegmentError({
        message: `${what}; the header has one column ${quoteColumn(single)}`,
        file,
        line,
        hint: `the file looks ${shown}-separated; acsync reads comma-separated CSV: export it with commas (or as NDJSON)`,
      });
    }
    throw new SegmentError({
      message: `${what}; the header has ${names.length === 1 ? 'one column' : 'columns'} ${names.slice(0, MAX_QUOTED_COLUMNS).map(quoteColumn).join(', ')}${names.length > MAX_QUOTED_COLUMNS ? `, … (${names.length} in all)` : ''}`,
      file,
      line,
      hint: 'fix the column names under `mapping:` in the config (names are case-sensitive) or the header of the file',
    });
  }
  return seen;
}

/** At most this many header names are quoted in a message. */
const MAX_QUOTED_COLUMNS = 20;
/** Longer names are cut: a column name is short, and a long "name" is a line of data, not a header. */
const MAX_QUOTED_NAME = 40;

/**
 * A header name as a message may quote it: only what looks like a column name. The first line of a file that is
 * not a segment can be anything (`AC_API_KEY=…` in a .env), so whatever follows `=` or `:` is never shown, control
 * characters are escaped, and a long name is cut.
 */
export function quoteColumn(name: string): string {
  let shown = name;
  const cut = shown.search(/[=:]/);
  if (cut !== -1) shown = `${shown.slice(0, cut + 1)}…`;
  if (shown.length > MAX_QUOTED_NAME) shown = `${shown.slice(0, MAX_QUOTED_NAME)}…`;
  shown = shown.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `'${shown}'`;
}

function fromCsvError(err: CsvError, parser: LineTrackingParser, file: string): SegmentError {
  const line = parser.startLine();
  switch (err.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH': {
      const got = Array.isArray(err['record']) ? String(err['record'].length) : 'a different number of';
      return new SegmentError({
        message: `line ${line} has ${got} fields but the header has ${headerWidth(err)} columns`,
        file,
        line,
        hint: 'quote values that contain a comma ("Doe, Jane") and double the quotes inside them (""), or fix the row',
      });
    }
    case 'CSV_MAX_RECORD_SIZE':
      return new SegmentError({
        message: `the record starting at line ${line} is larger than ${MAX_RECORD_BYTES / 1024 / 1024} MB`,
        file,
        line,
        // No real profile is that large, so this is nearly always a quote that never closes, but say the other case too.
        hint: `usually a quote opened on that line is never closed, so the rest of the file reads as one field: check the quotes there; otherwise shorten the oversized value (acsync refuses records over ${MAX_RECORD_BYTES / 1024 / 1024} MB)`,
      });
    case 'CSV_QUOTE_NOT_CLOSED':
      return new SegmentError({
        message: `a quote opened in the record starting at line ${line} is never closed`,
        file,
        line,
        hint: 'close the quote, or double a quote that is part of a value ("")',
      });
    default:
      return new SegmentError({
        message: `invalid CSV at line ${line}: ${err.message}`,
        file,
        line,
        hint: 'a field with quotes, commas or line breaks must be wrapped in double quotes, with inner quotes doubled ("")',
      });
  }
}

function headerWidth(err: CsvError): string {
  const m = /expect (\d+)/.exec(err.message);
  return m?.[1] ?? 'a different number of';
}

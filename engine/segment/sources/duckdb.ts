/**
 * DuckDB, embedded (@duckdb/node-api): runs a segment query, or the read that files.ts generates for Parquet,
 * gzip'd CSV/NDJSON, globs, folders and CDM partitions. Rows stream in batches (a pipe's chunk, or DuckDB's
 * 2,048-row chunk), never the whole result; relative paths in a query resolve against the config file's folder
 * (file_search_path).
 */
import { createHash, type Hash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type * as DuckDB from '@duckdb/node-api';
import { compilePicker } from '../csv.ts';
import { SegmentError } from '../errors.ts';
import type { SegmentRecord } from '../record.ts';
import { loadDriver } from './driver.ts';
import { RowFifo } from './duckdb-fifo.ts';
import { DuckDbTsvRows } from './duckdb-tsv.ts';
import { shortHash } from './fingerprint.ts';
import type { SegmentOrigin, SegmentSource } from '../source.ts';
import { isoTimestamp, type ValueKind } from './values.ts';
import { missingColumnsError, type SourceSite } from './where.ts';

/** The version this acsync is tested with (package.json pins it). */
export const DUCKDB_PACKAGE_VERSION = '1.5.6-r.1';

/**
 * Memory DuckDB may use for one segment read. Its default is 80% of RAM; a streamed scan needs little, and the
 * planner beside it holds the list (bench: 1M rows from Parquet stay under 600 MB RSS in total).
 */
const DUCKDB_MEMORY_LIMIT = '256MB';

/**
 * Threads DuckDB may use: all cores but one, which Node needs to parse and plan the rows as they come. Rows come
 * in order, so threads that run ahead of the reader hold finished batches in memory until it catches up: on 2
 * cores a second DuckDB thread made the plan slower, not faster, and 100 MB bigger (bench: 1.81 s and 541 MB
 * with one thread, 2.06 s and 637 MB with two, 1M rows from Parquet).
 */
const DUCKDB_THREADS = String(Math.max(1, availableParallelism() - 1));

export interface DuckDbSourceOptions {
  label: string;
  site: SourceSite;
  /** The SQL to stream. */
  sql: string;
  /** A user's query (errors then point at `query:` and the plan shows its hash), or a generated read of files. */
  kind: 'query' | 'files';
  /** Folder relative paths in the SQL resolve against (the config file's folder). */
  cwd: string;
  /** A DuckDB database file, opened read-only; in-memory when absent. */
  databaseFile?: string;
  database?: string;
  statementTimeoutMs: number;
  /** What the SQL reads, for the plan and for watch. */
  files?: { display: string[]; absolute: string[] };
  /** What the source is called in a missing-column message ("the query", "lake/vip/*.parquet"). */
  what: string;
  /**
   * How rows reach JavaScript: through a named pipe where one can be made (the default), or 'json', the driver's
   * way that is otherwise the fallback on Windows. Tests force 'json' to keep both ways equal.
   */
  transport?: 'auto' | 'json';
}

/** How far DuckDB may write ahead of the planner: enough to keep both busy, small beside the 256MB it may use. */
const FIFO_READ_AHEAD_BYTES = 1024 * 1024;

/** One row's cells, NULL as undefined. */
type Cells = Array<string | undefined>;

const TIMESTAMP_TYPES = new Set([12, 20, 21, 22, 31]);
/** LIST, STRUCT, MAP, UNION, ARRAY (DuckDBTypeId): read as JSON text. */
const NESTED_TYPES = new Set([24, 25, 26, 28, 33]);

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export class DuckDbSource implements SegmentSource {
  readonly display: string;
  readonly #o: DuckDbSourceOptions;
  #instance: DuckDB.DuckDBInstance | undefined;
  #connection: DuckDB.DuckDBConnection | undefined;
  #driver: typeof DuckDB | undefined;
  #digest: (() => string) | undefined;
  #rows = 0;
  #readMs = 0;
  /** Ends a read through the pipe that is still under way (records() not run to its end). */
  #abandonRead: (() => Promise<void>) | undefined;

  constructor(options: DuckDbSourceOptions) {
    this.display = options.label;
    this.#o = options;
  }

  async #connect(): Promise<DuckDB.DuckDBConnection> {
    if (this.#connection) return this.#connection;
    this.#driver ??= await loadDriver<typeof DuckDB>('@duckdb/node-api', DUCKDB_PACKAGE_VERSION, `export '${this.#o.site.exportName}' (DuckDB)`, this.#o.site.configFile, this.#o.site.line);
    const settings: Record<string, string> = { memory_limit: DUCKDB_MEMORY_LIMIT, threads: DUCKDB_THREADS, file_search_path: this.#o.cwd, enable_external_access: 'true' };
    if (this.#o.databaseFile !== undefined) settings['access_mode'] = 'READ_ONLY';
    try {
      this.#instance = await this.#driver.DuckDBInstance.create(this.#o.databaseFile ?? ':memory:', settings);
    } catch (err) {
      throw new SegmentError({
        message: `export '${this.#o.site.exportName}': cannot open the DuckDB database ${this.#o.database ?? ''}: ${firstLine(err)}`,
        file: this.#o.site.configFile,
        ...(this.#o.site.line !== undefined ? { line: this.#o.site.line } : {}),
        hint: 'check databases.<id>.path: it is relative to the config file, and the file must be a DuckDB database',
      });
    }
    this.#connection = await this.#instance.connect();
    // Timestamps with a time zone are read as text in UTC (values.ts makes them ISO with Z).
    await this.#connection.run("set TimeZone = 'UTC'");
    return this.#connection;
  }

  async describe(): Promise<string[]> {
    return (await this.#describe()).names;
  }

  /**
   * Prepares the read (a missing file or a bad query is named here, before any request to ActiveCampaign). A
   * query's columns are checked here too; a read of files checks them as it streams (records).
   */
  async check(columns: readonly string[]): Promise<void> {
    const { names } = await this.#describe();
    if (this.#o.kind !== 'query' || names.length === 0) return;
    const missing = columns.filter((c) => !names.includes(c));
    if (missing.length > 0) throw missingColumnsError(this.#o.site, missing, names, this.#o.what);
  }

  async #describe(): Promise<{ names: string[]; kinds: ValueKind[]; nested: boolean[] }> {
    const conn = await this.#connect();
    try {
      // Preparing binds the query (names, types, files exist) without running it.
      const prepared = await conn.prepare(stripSemicolons(this.#o.sql));
      const names: string[] = [];
      const kinds: ValueKind[] = [];
      const nested: boolean[] = [];
      for (let i = 0; i < prepared.columnCount; i++) {
        names.push(prepared.columnName(i));
        kinds.push(TIMESTAMP_TYPES.has(prepared.columnTypeId(i)) ? 'timestamp' : 'other');
        nested.push(NESTED_TYPES.has(prepared.columnTypeId(i)));
      }
      return { names, kinds, nested };
    } catch (err) {
      throw this.#queryError(err);
    }
  }

  async *records(columns: readonly string[], signal?: AbortSignal): AsyncGenerator<SegmentRecord[]> {
    const started = Date.now();
    this.#rows = 0;
    const { names, kinds, nested } = await this.#describe();
    const missing = columns.filter((c) => !names.includes(c));
    if (missing.length > 0) throw missingColumnsError(this.#o.site, missing, names, this.#o.what);
    const index = columns.map((c) => names.indexOf(c));
    const conn = this.#connection!;
    // Each mapped column as DuckDB's text of its type (what values.ts documents); nested values as JSON;
    // timestamps (in UTC) made ISO below.
    const cells = index.map((i) => (nested[i] ? `to_json(${ident(names[i]!)})::varchar` : `${ident(names[i]!)}::varchar`));
    const from = `from (${stripSemicolons(this.#o.sql)}\n) as acsync_segment`;
    const fifo = this.#o.transport === 'json' || columns.length === 0 ? undefined : await RowFifo.create();
    // The label says which bytes are hashed: a fingerprint saved from the other way of reading is stale, never equal.
    const hash = createHash('sha256').update(`${fifo !== undefined ? 'duckdb-csv' : 'duckdb-json'}:${this.#o.kind}\u0001${columns.join('\u0000')}\n`);
    let digest: string | undefined;
    this.#digest = () => (digest ??= hash.digest('hex'));
    const width = columns.length;
    const stamps = index.map((i) => kinds[i] === 'timestamp');
    // A fixed-shape object literal per row (csv.ts): several times faster than keyed stores.
    const pick = compilePicker(columns, columns.map((_, c) => c));
    // Whether this read stopped DuckDB: the JSON way cannot tell a stopped stream from a finished one.
    const stop = { interrupted: false };
    const interrupt = (): void => {
      stop.interrupted = true;
      conn.interrupt();
    };
    const timer = setTimeout(interrupt, this.#o.statementTimeoutMs);
    const onAbort = (): void => interrupt();
    signal?.addEventListener('abort', onAbort, { once: true });
    timer.unref?.();
    const deadline = Date.now() + this.#o.statementTimeoutMs;
    const failed = (err: unknown): SegmentError => (Date.now() >= deadline ? this.#timeoutError() : this.#queryError(err));
    try {
      const rows = fifo !== undefined ? this.#rowsThroughFifo(conn, fifo, `select ${cells.join(', ')} ${from}`, width, hash, failed) : this.#rowsAsJson(conn, `select to_json([${cells.join(', ')}]::varchar[])::varchar ${from}`, width, hash, failed, stop);
      for await (const cellsOfRows of rows) {
        const n = cellsOfRows.length;
        const batch: SegmentRecord[] = new Array(n);
        for (let r = 0; r < n; r++) {
          const cellsOfRow = cellsOfRows[r]!;
          for (let c = 0; c < width; c++) {
            const v = cellsOfRow[c];
            if (v !== undefined && stamps[c] === true) cellsOfRow[c] = isoTimestamp(v);
          }
          batch[r] = { line: ++this.#rows, values: pick(cellsOfRow as string[]) };
        }
        yield batch;
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      await fifo?.remove();
      this.#readMs = Date.now() - started;
    }
  }

  /**
   * The rows written by DuckDB's COPY as tab-separated CSV into a named pipe (duckdb-fifo.ts), read as they come
   * (bench/duckdb-read.ts: 1M rows x 6 columns to records in 1.5-1.9 s, where the JSON way takes 3.4-4.0 s).
   * The bytes, as they come, are the fingerprint's input: the writer spells NULL apart from ''.
   */
  async *#rowsThroughFifo(conn: DuckDB.DuckDBConnection, fifo: RowFifo, select: string, width: number, hash: Hash, failed: (err: unknown) => SegmentError): AsyncGenerator<Cells[]> {
    const reader = fifo.open(FIFO_READ_AHEAD_BYTES);
    let settled = false;
    // Settles with DuckDB's error, or undefined; then the reader is let go even if DuckDB never opened the pipe.
    const outcome = conn.run(`copy (${select}) to '${fifo.path.replace(/'/g, "''")}' (format csv, header false, delimiter '\t')`).then(
      () => undefined,
      (err: unknown) => err ?? new Error('the COPY failed'),
    );
    void outcome.then(() => {
      settled = true;
      fifo.release();
    });
    const stop = async (): Promise<void> => {
      // DuckDB may be blocked writing to a pipe nobody reads: interrupting it and closing the read end (its write
      // then fails, EPIPE) ends the COPY, so the connection is free again.
      if (!settled) conn.interrupt();
      reader.destroy();
      await outcome;
    };
    // A consumer that drops the rows without ending the loop leaves this for close() to do.
    this.#abandonRead = async () => {
      await stop();
      await fifo.remove();
    };
    const parser = new DuckDbTsvRows(width);
    let complete = false;
    try {
      for await (const chunk of reader as AsyncIterable<Buffer>) {
        hash.update(chunk);
        const rows = parser.push(chunk);
        if (rows.length > 0) yield rows;
      }
      // The end of the bytes is not the end of the rows: DuckDB may have stopped on an error (a bad row late in a
      // file, a failed cast, the timeout). Only its answer says the segment is complete.
      const err = await outcome;
      if (err !== undefined) throw failed(err);
      parser.end();
      complete = true;
    } finally {
      this.#abandonRead = undefined;
      if (!complete) await stop();
    }
  }

  /**
   * The driver's way, where there is no named pipe (Windows): one JSON array of text per row, so the driver hands
   * over one value a row instead of one per cell, which is what costs most (bench: 1M rows x 6 columns, 12 s cell
   * by cell, 4 s this way). The rows' JSON text is the fingerprint's input: it spells NULL apart from ''.
   * The driver's fetchChunk answers null both at the end and when the query failed on its way (a bad row late in
   * a file, a failed cast): that failure cannot be seen here, only that this read interrupted DuckDB itself.
   */
  async *#rowsAsJson(conn: DuckDB.DuckDBConnection, sql: string, width: number, hash: Hash, failed: (err: unknown) => SegmentError, stop: { interrupted: boolean }): AsyncGenerator<Cells[]> {
    let result: DuckDB.DuckDBResult;
    try {
      result = await conn.stream(sql);
    } catch (err) {
      throw failed(err);
    }
    for (;;) {
      let chunk: DuckDB.DuckDBDataChunk | null;
      try {
        chunk = await result.fetchChunk();
      } catch (err) {
        throw failed(err);
      }
      if (chunk === null || chunk.rowCount === 0) {
        // Stopped by the timeout or the signal: what came is not the whole segment (DuckDB's own words for it).
        if (stop.interrupted) throw failed(new Error('INTERRUPT Error: Interrupted!'));
        break;
      }
      const encoded = chunk.getColumnValues(0) as string[];
      const n = chunk.rowCount;
      hash.update(encoded.join('\n'));
      hash.update('\n');
      const rows: Cells[] = new Array(n);
      for (let r = 0; r < n; r++) {
        const row = JSON.parse(encoded[r]!) as Array<string | null | undefined>;
        // NULL is no value, never the text "null".
        for (let c = 0; c < width; c++) if (row[c] === null) row[c] = undefined;
        rows[r] = row as Cells;
      }
      yield rows;
    }
  }

  fingerprint(): string {
    return this.#digest?.() ?? '';
  }

  origin(): SegmentOrigin {
    const files = this.#o.files;
    return {
      engine: 'duckdb',
      ...(files !== undefined ? { files: files.display.slice(0, 20), fileCount: files.display.length } : {}),
      ...(this.#o.kind === 'query' ? { queryHash: shortHash(this.#o.sql) } : {}),
      ...(this.#o.database !== undefined ? { database: this.#o.database } : {}),
      rowsRead: this.#rows,
      readMs: this.#readMs,
    };
  }

  async close(): Promise<void> {
    await this.#abandonRead?.();
    this.#abandonRead = undefined;
    this.#connection?.closeSync();
    this.#instance?.closeSync();
    this.#connection = undefined;
    this.#instance = undefined;
  }

  #timeoutError(): SegmentError {
    const s = Math.round(this.#o.statementTimeoutMs / 1000);
    return new SegmentError({
      message: `export '${this.#o.site.exportName}': the segment query ran longer than the statement timeout (${s}s) and was stopped`,
      file: this.#o.site.configFile,
      ...(this.#o.site.line !== undefined ? { line: this.#o.site.line } : {}),
      hint: 'make the query cheaper (filter earlier, read fewer files), or raise statementTimeout on its database',
    });
  }

  #queryError(err: unknown): SegmentError {
    const text = err instanceof Error ? err.message : String(err);
    const head = text.split('\n')[0] ?? text;
    const pos = /LINE (\d+):/.exec(text);
    const where = pos ? ` (line ${pos[1]} of the query)` : '';
    const site = this.#o.site;
    if (this.#o.kind === 'files') {
      return new SegmentError({
        message: `export '${site.exportName}': cannot read ${this.#o.what}: ${head}`,
        file: site.configFile,
        ...(site.line !== undefined ? { line: site.line } : {}),
        hint: /No files found|does not exist|No such file/i.test(text) ? 'check the `segment:` path (relative to the config file)' : 'check that the files are complete and of the format their names say',
      });
    }
    return new SegmentError({
      message: `export '${site.exportName}': the segment query failed: ${head}${where}`,
      file: site.configFile,
      ...(site.line !== undefined ? { line: site.line } : {}),
      hint: /^Parser Error/.test(head)
        ? 'fix the SQL syntax near the position DuckDB names'
        : /No files found|does not exist|No such file/i.test(text)
          ? 'paths in the query are relative to the config file\'s folder: check them'
          : 'fix the query: run it in the duckdb shell from the config file\'s folder to try it',
    });
  }
}

function stripSemicolons(sql: string): string {
  return sql.replace(/[\s;]+$/, '');
}

function firstLine(err: unknown): string {
  return ((err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '').trim();
}

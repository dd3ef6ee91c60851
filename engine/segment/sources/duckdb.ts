/**
 * DuckDB, embedded (@duckdb/node-api): runs a segment query, or the read that files.ts generates for Parquet,
 * gzip'd CSV/NDJSON, globs, folders and CDM partitions. DuckDB's COPY writes the rows as tab-separated CSV,
 * read from a private temporary file as DuckDB writes it and parsed chunk by chunk into batches of rows
 * (duckdb-tsv.ts). Relative paths in a query resolve against the config file's folder (file_search_path).
 */
import { createHash, type Hash } from 'node:crypto';
import { readSync, type ReadStream } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { setImmediate as turn, setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import type * as DuckDB from '@duckdb/node-api';
import { compilePicker } from '../csv.ts';
import { InternalError } from '../../errors.ts';
import { SegmentError } from '../errors.ts';
import type { SegmentRecord } from '../record.ts';
import { loadDriver } from './driver.ts';
import { RowFile } from './duckdb-file.ts';
import { duckDbCells, DuckDbTsvRows } from './duckdb-tsv.ts';
import { shortHash } from './fingerprint.ts';
import type { SegmentOrigin, SegmentSource } from '../source.ts';
import { recordsOf, TextRows, type RowSpans, type SegmentBatch, type TextFormat } from '../text-rows.ts';
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
   * How the rows of DuckDB's COPY are read: 'auto' (the default) as DuckDB writes them; 'file' once the COPY has
   * answered, for tests (both ways must give the same rows).
   */
  transport?: 'auto' | 'file';
}

/**
 * How much of the file is read at a time: 1 MB reads made batches 16 times the size, and the read slower and
 * bigger (bench/duckdb-read.ts, 1M rows: 2.3-2.6 s and 250 MB at 1 MB, 1.5-2.0 s and
 * 165 MB at 64 KB).
 */
const FILE_CHUNK_BYTES = 64 * 1024;

/** Slots of the buffer the rows are read into as DuckDB writes them (#rowsAsWritten): two would do. */
const RING_SLOTS = 4;

/** One row's cells, NULL as undefined. */

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
  /** Ends a read that is still under way (records() not run to its end), and removes its file. */
  #abandonRead: (() => Promise<void>) | undefined;

  constructor(options: DuckDbSourceOptions) {
    this.display = options.label;
    this.#o = options;
  }

  async #connect(): Promise<DuckDB.DuckDBConnection> {
    if (this.#connection) return this.#connection;
    this.#driver ??= await loadDriver<typeof DuckDB>('@duckdb/node-api', DUCKDB_PACKAGE_VERSION, `export '${this.#o.site.exportName}' (DuckDB)`, this.#o.site.configFile, this.#o.site.line);
    // No spilling to disk but inside a read, into its private folder (copyTo); DuckDB's default is `.tmp` in the
    // working directory.
    const settings: Record<string, string> = { memory_limit: DUCKDB_MEMORY_LIMIT, threads: DUCKDB_THREADS, temp_directory: '', file_search_path: this.#o.cwd, enable_external_access: 'true' };
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
    for await (const batch of this.rows(columns, signal)) yield recordsOf(batch);
  }

  /** The rows as DuckDB's CSV writer spelled them, yielded as bytes (text-rows.ts), decoded when asked. */
  async *rows(columns: readonly string[], signal?: AbortSignal): AsyncGenerator<SegmentBatch> {
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
    // No mapped column still needs a column to select: one constant, read and dropped.
    const selected = cells.length > 0 ? cells : ['1'];
    const select = `select ${selected.join(', ')} from (${stripSemicolons(this.#o.sql)}\n) as acsync_segment`;
    // The label says which bytes are hashed: both ways read the same file, so they hash alike.
    const hash = createHash('sha256').update(`duckdb-csv:${this.#o.kind}\u0001${columns.join('\u0000')}\n`);
    let digest: string | undefined;
    this.#digest = () => (digest ??= hash.digest('hex'));
    const width = selected.length;
    const stamps = index.map((i) => kinds[i] === 'timestamp');
    // A fixed-shape object literal per row (csv.ts): several times faster than keyed stores.
    const pick = compilePicker(columns, columns.map((_, c) => c));
    const format: TextFormat = {
      columns,
      // Timestamps are rewritten (ISO, UTC): their cells are not their values as written.
      verbatim: !stamps.includes(true),
      decode: (bytes, start, end, line) => {
        const cells = duckDbCells(bytes.toString('utf8', start, end), width);
        for (let c = 0; c < columns.length; c++) {
          const v = cells[c];
          if (v !== undefined && stamps[c] === true) cells[c] = isoTimestamp(v);
        }
        return { line, values: pick(cells as string[]) };
      },
    };
    // Aborted when this read stops DuckDB: the file, written by then, must not be read on as if nothing happened.
    const halt = new AbortController();
    const interrupt = (): void => {
      halt.abort();
      conn.interrupt();
    };
    const timer = setTimeout(interrupt, this.#o.statementTimeoutMs);
    const onAbort = (): void => interrupt();
    signal?.addEventListener('abort', onAbort, { once: true });
    timer.unref?.();
    const deadline = Date.now() + this.#o.statementTimeoutMs;
    const failed = (err: unknown): SegmentError => (Date.now() >= deadline ? this.#timeoutError() : this.#queryError(err));
    try {
      const spans = this.#o.transport === 'file' ? this.#rowsThroughFile(conn, select, hash, failed, halt.signal) : this.#rowsAsWritten(conn, select, hash, failed, halt.signal);
      for await (const rows of spans) {
        const batch = new TextRows(rows, this.#rows + 1, format);
        this.#rows += batch.length;
        yield batch;
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      this.#readMs = Date.now() - started;
    }
  }

  /**
   * The rows read from the file DuckDB's COPY writes as it writes them (duckdb-file.ts), so that DuckDB and the
   * planner work at the same time on two cores. The file is unlinked as soon as it is open: its bytes are then only
   * reachable through the two open descriptors, and go with them, a killed run included (only a run killed in
   * the moment between DuckDB creating the file and acsync opening it leaves it, in the private folder; Windows,
   * which cannot unlink an open file, removes it afterwards). A pipe kept DuckDB waiting instead: its 64 KB filled with one
   * write, DuckDB stopped until the planner had taken it all, then the planner waited while DuckDB computed the
   * next rows (bench/sources-plan.ts: a third of the plan's time idle). Reaching the end of what is written is the
   * end of the rows only once DuckDB has answered, and its answer says whether the rows are complete (a bad row
   * late in a file, a failed cast): a failure is never read as a short segment.
   */
  async *#rowsAsWritten(conn: DuckDB.DuckDBConnection, select: string, hash: Hash, failed: (err: unknown) => SegmentError, halted: AbortSignal): AsyncGenerator<RowSpans> {
    const file = await this.#rowFile();
    let handle: FileHandle | undefined;
    const copy = startCopy(conn, select, file.path);
    const { outcome } = copy;
    const stop = async (): Promise<void> => {
      // close() during the COPY: DuckDB would otherwise write the whole result for nobody.
      if (!copy.settled) conn.interrupt();
      await outcome;
      await handle?.close();
      handle = undefined;
      await file.remove();
    };
    // A consumer that drops the rows without ending the loop leaves this for close() to do.
    this.#abandonRead = stop;
    const interrupted = (): SegmentError => failed(new Error('INTERRUPT Error: Interrupted!'));
    try {
      // DuckDB creates the file when its COPY starts writing; a query that fails first never does. A query that
      // works a while before its first row is looked for less and less often (up to every 16 ms).
      let wait = 1;
      while (handle === undefined) {
        const answered = copy.settled;
        try {
          handle = await open(file.path, 'r');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw this.#tempFolderError(err);
          if (answered) {
            const e = await outcome;
            if (e !== undefined) throw failed(e);
            throw new InternalError("DuckDB's COPY answered without writing its file");
          }
          if (halted.aborted) throw interrupted();
          await sleep(wait);
          wait = Math.min(wait * 2, 16);
        }
      }
      if (process.platform !== 'win32') await unlink(file.path).catch(() => {});
      const parser = new DuckDbTsvRows();
      // The chunks are read into a few slots of one buffer, in turn: a batch is planned before the next is asked
      // for (text-rows.ts), and a new 64 KB buffer a read was 75 MB of garbage for 1M rows, a third of the plan's
      // time in garbage collection.
      const ring = Buffer.allocUnsafeSlow(RING_SLOTS * FILE_CHUNK_BYTES);
      let slot = 0;
      let position = 0;
      let reads = 0;
      let idle = 1;
      for (;;) {
        if (halted.aborted) throw interrupted();
        // Whether DuckDB had answered before this read: then a read that finds nothing new is the end.
        const answered = copy.settled;
        const chunk = ring.subarray(slot * FILE_CHUNK_BYTES, (slot + 1) * FILE_CHUNK_BYTES);
        slot = (slot + 1) % RING_SLOTS;
        // Read on this thread: what DuckDB just wrote is in the page cache, and copying 64 KB of it costs less than
        // an asynchronous read's round trip through libuv's threads (bench: 14% less CPU for the read of 1M rows).
        const bytesRead = readSync(handle.fd, chunk, 0, chunk.length, position);
        if (bytesRead > 0) {
          position += bytesRead;
          // Reads that never wait would keep the event loop from its timers (the statement timeout, the screen)
          // and signals: it gets a turn every 16 reads (1 MB).
          if (++reads % 16 === 0) await turn();
          const bytes = bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead);
          hash.update(bytes);
          yield* parser.push(bytes);
          idle = 1;
          continue;
        }
        if (answered) break;
        // Caught up with DuckDB: it writes on meanwhile (a query that pauses long is looked at up to every 16 ms).
        await sleep(idle);
        idle = Math.min(idle * 2, 16);
      }
      const err = await outcome;
      if (err !== undefined) throw failed(err);
      parser.end();
    } finally {
      this.#abandonRead = undefined;
      await stop();
    }
  }

  /**
   * The rows written by the same COPY into a regular file (duckdb-file.ts), read once the COPY has answered
   * (`transport: 'file'`, for tests: both ways must give the same rows). Slower than reading as DuckDB writes: the
   * two never work at the same time. The COPY answers before the first row is read, so a failure on its way (a bad
   * row late in a file, a failed cast) is always seen, which the driver's own streaming cannot promise: its
   * fetchChunk answers the same null for a query that failed as for one that finished. The bytes are the other
   * way's, hashed the same way.
   */
  async *#rowsThroughFile(conn: DuckDB.DuckDBConnection, select: string, hash: Hash, failed: (err: unknown) => SegmentError, halted: AbortSignal): AsyncGenerator<RowSpans> {
    const file = await this.#rowFile();
    let reader: ReadStream | undefined;
    const copy = startCopy(conn, select, file.path);
    const { outcome } = copy;
    const stop = async (): Promise<void> => {
      // close() during the COPY: DuckDB would otherwise write the whole result for nobody.
      if (!copy.settled) conn.interrupt();
      await outcome;
      if (reader !== undefined && !reader.closed) {
        const closed = new Promise<void>((resolve) => reader!.once('close', () => resolve()));
        reader.destroy();
        await closed;
      }
      await file.remove();
    };
    // A consumer that drops the rows without ending the loop leaves this for close() to do.
    this.#abandonRead = stop;
    // What DuckDB says when interrupted during the COPY, said the same way when the stop comes during the read.
    const interrupted = (): SegmentError => failed(new Error('INTERRUPT Error: Interrupted!'));
    try {
      const err = await outcome;
      if (err !== undefined) throw failed(err);
      if (halted.aborted) throw interrupted();
      reader = file.open(FILE_CHUNK_BYTES);
      const parser = new DuckDbTsvRows();
      for await (const chunk of reader as AsyncIterable<Buffer>) {
        if (halted.aborted) throw interrupted();
        hash.update(chunk);
        yield* parser.push(chunk);
      }
      parser.end();
    } finally {
      this.#abandonRead = undefined;
      await stop();
    }
  }

  /** The private folder for a read's file, or an error that says what to do when none can be made. */
  async #rowFile(): Promise<RowFile> {
    try {
      return await RowFile.create();
    } catch (err) {
      throw this.#tempFolderError(err);
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

  #tempFolderError(err: unknown): SegmentError {
    return new SegmentError({
      message: `export '${this.#o.site.exportName}': cannot make a temporary folder for DuckDB's rows: ${firstLine(err)}`,
      file: this.#o.site.configFile,
      ...(this.#o.site.line !== undefined ? { line: this.#o.site.line } : {}),
      hint: 'set TMPDIR (TEMP on Windows) to a writable folder with room for the segment',
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

/**
 * Starts the COPY (copyTo) into `target`: `outcome` settles with DuckDB's error, or undefined once the rows are all
 * written; `settled` says whether it has.
 */
function startCopy(conn: DuckDB.DuckDBConnection, select: string, target: string): { readonly outcome: Promise<unknown>; readonly settled: boolean } {
  let settled = false;
  const outcome = conn.run(copyTo(select, target)).then(
    () => undefined,
    (err: unknown) => err ?? new Error('the COPY failed'),
  );
  void outcome.then(() => {
    settled = true;
  });
  return {
    outcome,
    get settled() {
      return settled;
    },
  };
}

/**
 * DuckDB's COPY of `select` as tab-separated CSV, the one format duckdb-tsv.ts undoes, into a file. What
 * the query cannot hold in memory_limit DuckDB spills into temp_directory: the read's own private folder (0700,
 * removed with the file), not DuckDB's default, `.tmp` in the working directory (often the config's
 * repository, where a killed run would leave customers' rows).
 */
function copyTo(select: string, target: string): string {
  const quote = (p: string): string => `'${p.replace(/'/g, "''")}'`;
  return `set temp_directory = ${quote(path.join(path.dirname(target), 'spill'))}; copy (${select}) to ${quote(target)} (format csv, header false, delimiter '\t')`;
}

function stripSemicolons(sql: string): string {
  return sql.replace(/[\s;]+$/, '');
}

function firstLine(err: unknown): string {
  return ((err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '').trim();
}

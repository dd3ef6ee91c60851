/**
 * DuckDB, embedded (@duckdb/node-api): runs a segment query, or the read that files.ts generates for Parquet,
 * gzip'd CSV/NDJSON, globs, folders and CDM partitions. Rows stream chunk by chunk (2,048 rows each), never the
 * whole result; relative paths in a query resolve against the config file's folder (file_search_path).
 */
import { createHash } from 'node:crypto';
import type * as DuckDB from '@duckdb/node-api';
import { compilePicker } from '../csv.ts';
import { SegmentError } from '../errors.ts';
import type { SegmentRecord } from '../record.ts';
import { loadDriver } from './driver.ts';
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
}

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

  constructor(options: DuckDbSourceOptions) {
    this.display = options.label;
    this.#o = options;
  }

  async #connect(): Promise<DuckDB.DuckDBConnection> {
    if (this.#connection) return this.#connection;
    this.#driver ??= await loadDriver<typeof DuckDB>('@duckdb/node-api', DUCKDB_PACKAGE_VERSION, `export '${this.#o.site.exportName}' (DuckDB)`, this.#o.site.configFile, this.#o.site.line);
    const settings: Record<string, string> = { memory_limit: DUCKDB_MEMORY_LIMIT, file_search_path: this.#o.cwd, enable_external_access: 'true' };
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
    const hash = createHash('sha256').update(`duckdb-json:${this.#o.kind}\u0001${columns.join('\u0000')}\n`);
    let digest: string | undefined;
    this.#digest = () => (digest ??= hash.digest('hex'));
    const width = columns.length;
    const stamps = index.map((i) => kinds[i] === 'timestamp');
    // A fixed-shape object literal per row (csv.ts): several times faster than keyed stores.
    const pick = compilePicker(columns, columns.map((_, c) => c));
    const timer = setTimeout(() => conn.interrupt(), this.#o.statementTimeoutMs);
    const onAbort = (): void => conn.interrupt();
    signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    timer.unref?.();
    const deadline = Date.now() + this.#o.statementTimeoutMs;
    try {
      // One JSON array of text per row: the driver hands over one value a row instead of one per cell, which is
      // what costs most (bench: 1M rows x 6 columns, 12 s cell by cell, 4 s this way). DuckDB's text of each type
      // is what values.ts documents; nested values as JSON; timestamps (in UTC) made ISO below.
      const cells = index.map((i) => (nested[i] ? `to_json(${ident(names[i]!)})::varchar` : `${ident(names[i]!)}::varchar`));
      const sql = `select to_json([${cells.join(', ')}]::varchar[])::varchar from (${stripSemicolons(this.#o.sql)}\n) as acsync_segment`;
      let result: DuckDB.DuckDBResult;
      try {
        result = await conn.stream(sql);
      } catch (err) {
        timedOut = Date.now() >= deadline;
        throw timedOut ? this.#timeoutError() : this.#queryError(err);
      }
      for (;;) {
        let chunk: DuckDB.DuckDBDataChunk | null;
        try {
          chunk = await result.fetchChunk();
        } catch (err) {
          if (Date.now() >= deadline) throw this.#timeoutError();
          throw this.#queryError(err);
        }
        if (chunk === null || chunk.rowCount === 0) break;
        const encoded = chunk.getColumnValues(0) as string[];
        const n = chunk.rowCount;
        // The rows' JSON text is the fingerprint's input: it spells every mapped value, NULL apart from ''.
        hash.update(encoded.join('\n'));
        hash.update('\n');
        const batch: SegmentRecord[] = new Array(n);
        for (let r = 0; r < n; r++) {
          const cellsOfRow = JSON.parse(encoded[r]!) as Array<string | null | undefined>;
          for (let c = 0; c < width; c++) {
            const v = cellsOfRow[c];
            // NULL is no value, never the text "null".
            if (v === null) cellsOfRow[c] = undefined;
            else if (stamps[c] === true) cellsOfRow[c] = isoTimestamp(v!);
          }
          batch[r] = { line: ++this.#rows, values: pick(cellsOfRow as string[]) };
        }
        yield batch;
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      this.#readMs = Date.now() - started;
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

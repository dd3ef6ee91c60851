/**
 * A segment source: where the rows of a segment come from. A file format (CSV, Parquet, a CDM folder) or an
 * engine (DuckDB, PostgreSQL) is one module behind this interface; the planner only ever sees the records it
 * streams, normalised exactly as CSV rows are (engine/segment/normalize.ts). What watch mode listens to is decided
 * from the config alone (watch-paths.ts), without opening a source. Adding an engine (BigQuery,
 * Snowflake...) is one new module that implements it and one line in open.ts.
 */
import type { SegmentRecord } from '../record.ts';

/** Which engine produced a segment's rows. */
export type SourceEngine = 'file' | 'duckdb' | 'postgres';

/** Where a segment came from, as the plan reports it (never a URL, a password or a row). */
export interface SegmentOrigin {
  engine: SourceEngine;
  /** The files read, relative to the config file (file segments and DuckDB over a path); capped for display. */
  files?: string[];
  /** How many files the path matched. */
  fileCount?: number;
  /** sha256 of the query text (query segments), first 16 hex digits. */
  queryHash?: string;
  /** The `databases:` key a query ran on. */
  database?: string;
  /** Records streamed (before normalisation: skipped rows included). */
  rowsRead: number;
  /** Time spent reading, from open to the last row. */
  readMs: number;
  /** The fingerprint of the rows read (sha256 hex): watch's `poll:` compares it with the next read. */
  fingerprint?: string;
}

export interface SegmentSource {
  /** The segment as named in messages: the config's `segment:` value, or `query on <db>`. */
  readonly label: string;
  /** The column names the source yields, in order (a CSV header, the query's result columns). */
  columns(signal?: AbortSignal): Promise<string[]>;
  /**
   * Streams the requested columns in batches. Each record's `line` is its file line (one CSV or NDJSON file) or
   * its 1-based row number in the stream (queries, Parquet, several files). Throws SegmentError for anything the
   * user can fix, before the first batch when it can (a missing column, a bad query).
   */
  batches(columns: readonly string[], signal?: AbortSignal): AsyncGenerator<SegmentRecord[]>;
  /** A hash of what was streamed (call after `batches` finished): a saved plan refuses when it changes. */
  fingerprint(): string;
  /** Where the rows came from, with the counts of the last `batches` run. */
  origin(): SegmentOrigin;
  /** Releases connections and engines; safe to call twice. */
  close(): Promise<void>;
}

/**
 * A segment source: the one interface through which an export's desired contacts come in. The pipeline's
 * "check what is local" and "read the desired segment" stages (engine/pipeline/) only ever talk to this; the
 * planner only ever sees the rows it streams, normalised (engine/segment/desired.ts).
 *
 * Implementations: one CSV, NDJSON/JSON Lines or JSON array file (engine/segment/file-source.ts); the embedded
 * DuckDB for queries, Parquet, gzip'd files, globs, folders and CDM partitions (sources/duckdb.ts, through
 * sources/files.ts and sources/cdm.ts); PostgreSQL (sources/postgres.ts). Another engine (BigQuery,
 * Snowflake...) is one module implementing this interface, plus a case in sources/open.ts that picks it from the
 * export's config. What watch mode listens to is decided from the config alone (sources/watch-paths.ts).
 *
 * The contract, for a new implementation:
 * - `check` runs before any request to ActiveCampaign: it proves the source is there and readable and, where
 *   the source knows its columns without reading rows, that every mapped column exists. It reads no rows.
 * - `records` streams every row, `columns` only, in batches (one await per batch, not per row), each with a
 *   1-based `line` (the line in a file, the row number of a query) that messages point at.
 * - Every problem the user can fix is thrown as an error with `fault: 'user'` (SegmentError, or UserError from
 *   engine/errors.ts) naming `display` and the line; a server that refuses is `fault: 'remote'`; anything else
 *   is treated as our bug (engine/errors.ts). Messages never contain a password or a connection URL.
 * - `fingerprint` is a hash of exactly what the last complete `records` pass streamed: a saved plan
 *   (engine/saved-plan.ts) refuses to apply when it differs at apply time, and watch's `poll:` compares it.
 * - `origin` says where the rows came from (shown in the plan: never a URL, a password or a row); `close`
 *   releases connections and engines and is safe to call twice.
 */
import type { SegmentRecord } from './record.ts';
import type { SegmentBatch } from './text-rows.ts';

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
  /** How messages name the source: the config's `segment:` value as the user wrote it (relative to the cwd), or the query's. */
  readonly display: string;
  /** The columns the source has, when it can tell without reading a row (a CSV header, a prepared query); undefined when it cannot (NDJSON). */
  describe(): Promise<readonly string[] | undefined>;
  /** Throws a user error, before any network request, when the source cannot be read or lacks a mapped column. */
  check(columns: readonly string[]): Promise<void>;
  /** Streams the records, `columns` only, in batches; `signal` stops a query on the server. */
  records(columns: readonly string[], signal?: AbortSignal): AsyncIterable<SegmentRecord[]>;
  /**
   * The same rows as `records`, a text source's left as the bytes that came (text-rows.ts) so that the planner
   * decodes only the rows it must; the fingerprint is the same. A batch of bytes is good until the next is asked
   * for. Optional: without it the records are used.
   */
  rows?(columns: readonly string[], signal?: AbortSignal): AsyncIterable<SegmentBatch>;
  /** sha256 (hex) of what the last complete `records` (or `rows`) pass streamed; '' before one finished. */
  fingerprint(): string;
  /** Where the rows came from, with the counts of the last `records` pass. */
  origin(): SegmentOrigin;
  close(): Promise<void>;
}

/** The source's rows as `rows` streams them where it can, else its records. */
export function segmentBatches(source: SegmentSource, columns: readonly string[], signal?: AbortSignal): AsyncIterable<SegmentBatch> {
  return source.rows !== undefined ? source.rows(columns, signal) : source.records(columns, signal);
}

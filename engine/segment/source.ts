/**
 * A segment source: the one interface through which an export's desired contacts come in. The pipeline's
 * "check what is local" and "read the desired segment" stages (engine/pipeline/) only ever talk to this; the
 * planner only ever sees the rows it streams, normalised (engine/segment/desired.ts).
 *
 * The first implementation reads files (CSV, NDJSON/JSON Lines, a JSON array: engine/segment/file-source.ts).
 * Another source (Parquet, DuckDB, PostgreSQL) is one module implementing this interface, plus a case in
 * `openSegmentSource` (engine/segment/open-source.ts) that picks it from the export's config.
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
 *   (engine/saved-plan.ts) refuses to apply when it differs at apply time.
 */
import type { SegmentRecord } from './record.ts';

export interface SegmentSource {
  /** How messages name the source: the config's `segment:` value as the user wrote it, relative to the cwd. */
  readonly display: string;
  /** The columns the source has, when it can tell without reading every row (a CSV header); undefined when it cannot (NDJSON). */
  describe(): Promise<readonly string[] | undefined>;
  /** Throws a user error, before any network request, when the source cannot be read or lacks a mapped column. */
  check(columns: readonly string[]): Promise<void>;
  /** Streams the records, `columns` only, in batches. */
  records(columns: readonly string[]): AsyncIterable<SegmentRecord[]>;
  /** sha256 (hex) of what the last complete `records` pass streamed; '' before one finished. */
  fingerprint(): string;
}

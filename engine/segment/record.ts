/** One profile as read from a segment file, before normalisation. */
export interface SegmentRecord {
  /** 1-based line where the record starts (a CSV record with embedded newlines spans several lines). */
  line: number;
  /** The requested columns only. `undefined` when the record lacks the key (JSON) or it is null. */
  values: Record<string, string | undefined>;
  /** Set when the reader found the record unusable (a JSON object in a field, a key given twice): a row error. */
  problem?: string;
}

/**
 * Largest record (CSV) or element (NDJSON line, JSON array element) accepted. No real profile field is near it;
 * hitting it almost always means an unclosed quote swallowed the rest of the file, and the cap keeps memory bounded.
 */
export const MAX_RECORD_BYTES = 1024 * 1024;

/** Read chunk size: large enough that per-chunk work (UTF-8 check, one await) is noise, small enough to stay bounded. */
export const READ_CHUNK_BYTES = 128 * 1024;

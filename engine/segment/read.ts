/**
 * The segment reader: streams the profiles of a segment file (CSV, NDJSON/JSON Lines, or a JSON array) by
 * extension, in bounded memory, each record with the line where it starts. Every problem is a SegmentError that
 * names the file, the line when there is one, and what to do.
 */
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { readCsvBatches } from './csv.ts';
import { SegmentError } from './errors.ts';
import { readJsonArrayBatches } from './json-array.ts';
import { readNdjsonBatches } from './ndjson.ts';
import type { SegmentRecord } from './record.ts';

export { SegmentError } from './errors.ts';
export type { SegmentRecord } from './record.ts';

export type SegmentFormat = 'csv' | 'ndjson' | 'json';

export interface ReadSegmentOptions {
  /** The columns (CSV header names, JSON keys) to read; for CSV each must be in the header. */
  columns: readonly string[];
  /** The file as the user should see it in messages (e.g. the config's `segment:` value). Defaults to the path. */
  displayFile?: string;
  /** Sees every byte read, in order (to fingerprint what was streamed). */
  onChunk?: (chunk: Buffer) => void;
}

const FORMATS: Record<string, SegmentFormat> = { '.csv': 'csv', '.ndjson': 'ndjson', '.jsonl': 'ndjson', '.json': 'json' };

/** The format a segment path is read as, from its extension (case-insensitive). */
export function segmentFormat(path: string): SegmentFormat | undefined {
  return FORMATS[extname(path).toLowerCase()];
}

/**
 * Streams the records of a segment in batches (one per read chunk: the caller pays one await per chunk, not per
 * row). Throws SegmentError for anything wrong with the file.
 */
export async function* readSegmentBatches(path: string, options: ReadSegmentOptions): AsyncGenerator<SegmentRecord[]> {
  const file = options.displayFile ?? path;
  const format = await checkSegmentFile(path, file);
  const { columns, onChunk } = options;
  const batches =
    format === 'csv'
      ? readCsvBatches(path, file, columns, onChunk)
      : format === 'ndjson'
        ? readNdjsonBatches(path, file, columns, onChunk)
        : readJsonArrayBatches(path, file, columns, onChunk);
  try {
    yield* batches;
  } catch (err) {
    throw asSegmentError(err, file);
  }
}

/** One record at a time: convenient for tests and small files; the batch form is the fast path. */
export async function* readSegment(path: string, options: ReadSegmentOptions): AsyncGenerator<SegmentRecord> {
  for await (const batch of readSegmentBatches(path, options)) yield* batch;
}

/** Checks, reading no byte of it, that `path` is a file of a known format; returns the format. Throws SegmentError. */
export async function checkSegmentFile(path: string, file: string): Promise<SegmentFormat> {
  try {
    const s = await stat(path);
    if (s.isDirectory()) {
      throw new SegmentError({ message: 'is a directory, not a segment file', file, hint: 'point `segment:` at a .csv, .ndjson or .json file' });
    }
  } catch (err) {
    throw asSegmentError(err, file);
  }
  const format = segmentFormat(path);
  if (format === undefined) {
    throw new SegmentError({
      message: `unsupported segment file type '${extname(path) || '(none)'}'`,
      file,
      hint: 'a segment must be .csv, .ndjson, .jsonl or .json',
    });
  }
  return format;
}

/** File-system failures while reading become user-facing errors; anything else is ours and passes through. */
function asSegmentError(err: unknown, file: string): unknown {
  if (err instanceof SegmentError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return new SegmentError({
        message: 'segment file not found',
        file,
        hint: 'check the `segment:` path in the config; a relative path is resolved from the folder of the config file',
      });
    case 'EISDIR':
      return new SegmentError({ message: 'is a directory, not a segment file', file, hint: 'point `segment:` at a .csv, .ndjson or .json file' });
    case 'EACCES':
    case 'EPERM':
      return new SegmentError({ message: 'cannot read the segment file (permission denied)', file, hint: 'make the file readable by the user running acsync' });
    default:
      return err;
  }
}

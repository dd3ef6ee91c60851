/**
 * The segment reader: streams the profiles of a segment file (CSV, NDJSON/JSON Lines, or a JSON array) by
 * extension, in bounded memory, each record with the line where it starts. Every problem is a SegmentError that
 * names the file, the line when there is one, and what to do.
 */
import { extname, parse, resolve } from 'node:path';
import { readCsvBatches } from './csv.ts';
import { SegmentError } from './errors.ts';
import { readJsonArrayBatches } from './json-array.ts';
import { locateSegmentFile } from './locate.ts';
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
  /** Folders the file must be in, after following links (segmentRoots()); any folder when absent. */
  roots?: readonly string[];
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
  const { format, real } = await checkSegmentFile(path, file, options.roots);
  const { columns, onChunk } = options;
  const batches =
    format === 'csv'
      ? readCsvBatches(real, file, columns, onChunk)
      : format === 'ndjson'
        ? readNdjsonBatches(real, file, columns, onChunk)
        : readJsonArrayBatches(real, file, columns, onChunk);
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

/**
 * Checks, reading no byte of it, that `path` may be read as a segment (inside `roots` after following links, a
 * regular file: engine/segment/locate.ts) and is of a known format; returns the format and the real path.
 * Throws SegmentError. Without `roots`, any folder is allowed.
 */
export async function checkSegmentFile(path: string, file: string, roots?: readonly string[]): Promise<{ format: SegmentFormat; real: string }> {
  const located = await locateSegmentFile(path, roots ?? [parse(resolve(path)).root]);
  if ('problem' in located) throw new SegmentError({ message: located.problem.message, file, hint: located.problem.hint });
  const format = segmentFormat(path);
  if (format === undefined) {
    throw new SegmentError({
      message: `unsupported segment file type '${extname(path) || '(none)'}'`,
      file,
      hint: 'a segment must be .csv, .ndjson, .jsonl or .json',
    });
  }
  return { format, real: located.path };
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

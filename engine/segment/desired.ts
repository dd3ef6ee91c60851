/** The segment as the planner consumes it: read, held to the connector's profile limit, and normalised. */
import type { MappingConfig } from '../config/model.ts';
import type { DesiredContact } from '../model.ts';
import { SegmentError } from './errors.ts';
import { MAX_PROFILES_PER_EXPORT, mappedColumns, normalizeProfile, type SkippedRow } from './normalize.ts';
import { segmentBatches, type SegmentSource } from './source.ts';
import { lineOf, recordsOf, type SegmentBatch } from './text-rows.ts';

export interface ReadDesiredOptions {
  /** Override of MAX_PROFILES_PER_EXPORT (tests). */
  maxProfiles?: number;
}

/**
 * Streams the segment's rows as read, the mapped columns only, in batches (a text source's still as bytes). More
 * profiles than the connector allows is an error, not a skip: exporting the first million and silently dropping
 * the rest would be worse than exporting none. The plan stage normalises each row as it plans it (Planner.addRow,
 * Planner.addTextRows).
 */
export async function* readSegmentRows(source: SegmentSource, mapping: MappingConfig, options: ReadDesiredOptions = {}): AsyncGenerator<SegmentBatch> {
  const max = options.maxProfiles ?? MAX_PROFILES_PER_EXPORT;
  const file = source.display;
  let count = 0;
  for await (const batch of segmentBatches(source, mappedColumns(mapping))) {
    if (count + batch.length > max) {
      throw new SegmentError({
        message: `the segment has more than ${max.toLocaleString('en-US')} profiles (profile ${(max + 1).toLocaleString('en-US')} is at ${source.origin().engine === 'file' ? 'line' : 'row'} ${lineOf(batch, max - count)})`,
        file,
        line: lineOf(batch, max - count),
        hint: `one export takes at most ${max.toLocaleString('en-US')} profiles (the connector's limit): split the segment into several exports`,
      });
    }
    count += batch.length;
    yield batch;
  }
}

/** The desired contacts (and the rows skipped for a missing or invalid email), every row normalised, in batches. */
export async function* readDesiredContacts(source: SegmentSource, mapping: MappingConfig, options: ReadDesiredOptions = {}): AsyncGenerator<Array<DesiredContact | SkippedRow>> {
  for await (const rows of readSegmentRows(source, mapping, options)) {
    const batch = recordsOf(rows);
    const out: Array<DesiredContact | SkippedRow> = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      out[i] = normalizeProfile(r.values, mapping, r.line, r.problem);
    }
    yield out;
  }
}

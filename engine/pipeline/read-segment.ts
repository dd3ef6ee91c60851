/**
 * Stage 4, read the desired segment: the source's rows, normalised into DesiredContacts (and the rows skipped for
 * a missing or invalid email), streamed in batches to the plan stage, with progress events.
 */
import type { ExportConfig } from '../config/model.ts';
import type { EventSink } from '../events.ts';
import type { DesiredContact } from '../model.ts';
import { readDesiredContacts } from '../segment/desired.ts';
import { isSkippedRow, type SkippedRow } from '../segment/normalize.ts';
import type { SegmentSource } from '../segment/source.ts';

export interface DesiredSegment {
  batches: AsyncIterable<Array<DesiredContact | SkippedRow>>;
  /** Rows with a valid email streamed so far (duplicates included); final once `batches` is done. */
  readonly validRows: number;
}

export function readSegment(source: SegmentSource, exp: ExportConfig, sink: EventSink): DesiredSegment {
  const state = { validRows: 0, rowsRead: 0 };
  async function* batches(): AsyncGenerator<Array<DesiredContact | SkippedRow>> {
    for await (const batch of readDesiredContacts(source, exp.mapping)) {
      for (const item of batch) if (!isSkippedRow(item)) state.validRows++;
      state.rowsRead += batch.length;
      yield batch;
      // Progress is rows read, skipped ones included: what the source's "N rows read" ends with (issue 16).
      sink({ type: 'plan:progress', export: exp.name, phase: 'segment', done: state.rowsRead });
    }
  }
  return {
    batches: batches(),
    get validRows() {
      return state.validRows;
    },
  };
}

/**
 * Stage 4, read the desired segment: the source's rows, the mapped columns only, streamed in batches to the plan
 * stage (which normalises each row as it plans it: Planner.addRow), with progress events.
 */
import type { ExportConfig } from '../config/model.ts';
import type { EventSink } from '../events.ts';
import { readSegmentRows } from '../segment/desired.ts';
import type { SegmentBatch } from '../segment/text-rows.ts';
import type { SegmentSource } from '../segment/source.ts';

export interface DesiredSegment {
  batches: AsyncIterable<SegmentBatch>;
}

export function readSegment(source: SegmentSource, exp: ExportConfig, sink: EventSink): DesiredSegment {
  let rowsRead = 0;
  async function* batches(): AsyncGenerator<SegmentBatch> {
    for await (const batch of readSegmentRows(source, exp.mapping)) {
      rowsRead += batch.length;
      yield batch;
      // Progress is rows read, skipped ones included: what the source's "N rows read" ends with (issue 16).
      sink({ type: 'plan:progress', export: exp.name, phase: 'segment', done: rowsRead });
    }
  }
  return { batches: batches() };
}

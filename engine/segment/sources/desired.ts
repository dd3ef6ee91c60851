/** A source's records as the planner consumes them: normalised like CSV rows and held to the connector's limit. */
import type { MappingConfig } from '../../config/model.ts';
import type { DesiredContact } from '../../model.ts';
import { SegmentError } from '../errors.ts';
import { MAX_PROFILES_PER_EXPORT, mappedColumns, normalizeProfile, type SkippedRow } from '../normalize.ts';
import type { SegmentSource } from './source.ts';

export interface SourceDesiredOptions {
  maxProfiles?: number;
  signal?: AbortSignal;
}

export async function* readDesiredFromSource(source: SegmentSource, mapping: MappingConfig, options: SourceDesiredOptions = {}): AsyncGenerator<Array<DesiredContact | SkippedRow>> {
  const max = options.maxProfiles ?? MAX_PROFILES_PER_EXPORT;
  let count = 0;
  for await (const batch of source.batches(mappedColumns(mapping), options.signal)) {
    if (count + batch.length > max) {
      const line = batch[max - count]!.line;
      throw new SegmentError({
        message: `the segment has more than ${max.toLocaleString('en-US')} profiles (profile ${(max + 1).toLocaleString('en-US')} is at ${source.origin().engine === 'file' ? 'line' : 'row'} ${line})`,
        file: source.label,
        line,
        hint: `one export takes at most ${max.toLocaleString('en-US')} profiles (the connector's limit): split the segment into several exports`,
      });
    }
    count += batch.length;
    const out: Array<DesiredContact | SkippedRow> = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) out[i] = normalizeProfile(batch[i]!.values, mapping, batch[i]!.line);
    yield out;
  }
}

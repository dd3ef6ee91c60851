/** Picks the segment source an export's config names. A new kind of source is one more case here. */
import path from 'node:path';
import type { ExportConfig } from '../config/model.ts';
import { FileSegmentSource } from './file-source.ts';
import type { SegmentSource } from './source.ts';

/** `roots`: the folders segment files must be in (segmentRoots(config file, env)). */
export function openSegmentSource(exp: ExportConfig, roots?: readonly string[]): SegmentSource {
  const display = path.relative(process.cwd(), exp.segmentPath) || exp.segmentPath;
  return new FileSegmentSource(exp.segmentPath, display, roots);
}

/**
 * Picks the segment source an export's config names (every source implements source.ts). A new kind of source
 * is one more case in sources/open.ts.
 *  - one CSV, NDJSON or JSON file: the file source (file-source.ts), confined to the config's folder;
 *  - a glob, a folder of partitions, a CDM folder, Parquet, gzip'd files, or a query (embedded DuckDB, a
 *    `databases:` entry): the engines under sources/ (DuckDB, PostgreSQL; files.ts and cdm.ts build DuckDB reads).
 * Every source reports where its rows came from (`origin`, shown in the plan) and is closed after the read.
 */
import path from 'node:path';
import type { Config, ExportConfig } from '../config/model.ts';
import { SegmentError } from './errors.ts';
import { FileSegmentSource } from './file-source.ts';
import { confinementProblem } from './locate.ts';
import { segmentFormat } from './read.ts';
import type { SegmentSource } from './source.ts';
import { openEngineSource } from './sources/open.ts';

const GLOB = /[*?[]/;

/**
 * `roots`: the folders segment paths must be in (segmentRoots(config file, env)); `env` holds database URLs.
 * Opening makes no network request and reads no row.
 */
export async function openSegmentSource(config: Config, exp: ExportConfig, roots: readonly string[], env: NodeJS.ProcessEnv): Promise<SegmentSource> {
  const display = path.relative(process.cwd(), exp.segmentPath) || exp.segmentPath;
  if (exp.segmentQuery === undefined) {
    const target = exp.segmentPath.replace(/#[^/\\]*$/, '');
    const cdmMetadata = /(^|[/\\])(model\.json|[^/\\]*\.manifest\.cdm\.json)$/i.test(target);
    if (!GLOB.test(target) && !cdmMetadata && segmentFormat(target) !== undefined && !/\.gz$/i.test(target)) {
      return new FileSegmentSource(exp.segmentPath, display, roots);
    }
    // A glob, a folder or a CDM metadata file: its base must be inside the roots as a single file must.
    const base = GLOB.test(target) ? target.slice(0, target.search(GLOB)).replace(/[^/\\]*$/, '') : target;
    const problem = await confinementProblem(base === '' ? path.dirname(config.file) : base, roots);
    if (problem !== undefined) throw new SegmentError({ message: problem.message, file: display, hint: problem.hint });
  }
  return openEngineSource(config, exp, env, roots);
}

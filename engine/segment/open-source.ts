/**
 * Picks the segment source an export's config names. A new kind of source is one more case here.
 *  - one CSV, NDJSON or JSON file: the file source (file-source.ts), confined to the config's folder;
 *  - a glob, a folder of partitions, a CDM folder, Parquet, gzip'd files, or a query (embedded DuckDB, a
 *    `databases:` entry): the modules under sources/ (DuckDB, PostgreSQL, CDM, files), adapted to this interface.
 * Every source reports where its rows came from (`origin`, shown in the plan) and is closed after the read.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Config, ExportConfig } from '../config/model.ts';
import { SegmentError } from './errors.ts';
import { FileSegmentSource } from './file-source.ts';
import { confinementProblem } from './locate.ts';
import { segmentFormat } from './read.ts';
import type { SegmentRecord } from './record.ts';
import type { SegmentSource } from './source.ts';
import { openSegmentSource as openExtendedSource } from './sources/open.ts';
import type { SegmentOrigin, SegmentSource as ExtendedSource } from './sources/source.ts';
import { missingColumnsError, siteOf, type SourceSite } from './sources/where.ts';

/** A source as the pipeline uses it: the contract of source.ts, plus where the rows came from and a close. */
export interface PipelineSource extends SegmentSource {
  origin(): SegmentOrigin;
  close(): Promise<void>;
}

const GLOB = /[*?[]/;

/**
 * `roots`: the folders segment paths must be in (segmentRoots(config file, env)); `env` holds database URLs.
 * Opening makes no network request and reads no row.
 */
export async function openSegmentSource(config: Config, exp: ExportConfig, roots: readonly string[], env: NodeJS.ProcessEnv): Promise<PipelineSource> {
  const display = path.relative(process.cwd(), exp.segmentPath) || exp.segmentPath;
  if (exp.segmentQuery === undefined) {
    const target = exp.segmentPath.replace(/#[^/\\]*$/, '');
    const cdmMetadata = /(^|[/\\])(model\.json|[^/\\]*\.manifest\.cdm\.json)$/i.test(target);
    if (!GLOB.test(target) && !cdmMetadata && segmentFormat(target) !== undefined && !/\.gz$/i.test(target)) {
      return new FileOrigin(new FileSegmentSource(exp.segmentPath, display, roots), display);
    }
    // A glob, a folder or a CDM metadata file: its base must be inside the roots as a single file must.
    const base = GLOB.test(target) ? target.slice(0, target.search(GLOB)).replace(/[^/\\]*$/, '') : target;
    const problem = await confinementProblem(base === '' ? path.dirname(config.file) : base, roots);
    if (problem !== undefined) throw new SegmentError({ message: problem.message, file: display, hint: problem.hint });
  }
  const q = exp.segmentQuery;
  const what = q === undefined ? 'the segment' : q.database === undefined ? 'the query' : `the query on database '${q.database}'`;
  return new Adapted(await openExtendedSource(config, exp, env), siteOf(config, exp), what, q !== undefined);
}

/** The file source with the origin the plan shows: one file, its rows, the time the read took. */
class FileOrigin implements PipelineSource {
  #rows = 0;
  #ms = 0;
  constructor(
    readonly inner: FileSegmentSource,
    readonly display: string,
  ) {}
  describe(): Promise<readonly string[] | undefined> {
    return this.inner.describe();
  }
  check(columns: readonly string[]): Promise<void> {
    return this.inner.check(columns);
  }
  async *records(columns: readonly string[]): AsyncGenerator<SegmentRecord[]> {
    const started = performance.now();
    this.#rows = 0;
    for await (const batch of this.inner.records(columns)) {
      this.#rows += batch.length;
      yield batch;
    }
    this.#ms = performance.now() - started;
  }
  fingerprint(): string {
    return this.inner.fingerprint();
  }
  origin(): SegmentOrigin {
    return { engine: 'file', files: [this.display], fileCount: 1, rowsRead: this.#rows, readMs: Math.round(this.#ms) };
  }
  async close(): Promise<void> {}
}

/** A source of sources/ (DuckDB, PostgreSQL, CDM, files) behind the pipeline's interface. */
class Adapted implements PipelineSource {
  constructor(
    readonly inner: ExtendedSource,
    readonly site: SourceSite,
    readonly what: string,
    /** Query sources know their columns by preparing the query: checked here. File sources check as they open. */
    readonly checkColumns: boolean,
  ) {}
  get display(): string {
    return this.inner.label;
  }
  async describe(): Promise<readonly string[] | undefined> {
    return this.inner.columns();
  }
  async check(columns: readonly string[]): Promise<void> {
    // Knowing the columns may need the engine (a query is prepared, not run); a missing one is named here,
    // before any request to ActiveCampaign. Sources that cannot tell without rows check while streaming.
    const have = await this.inner.columns();
    if (!this.checkColumns || have.length === 0) return;
    const missing = columns.filter((c) => !have.includes(c));
    // At the mapping line of the first missing column (the email's, when it is the one).
    if (missing.length > 0) throw missingColumnsError(this.site, missing, have, this.what);
  }
  records(columns: readonly string[]): AsyncIterable<SegmentRecord[]> {
    return this.inner.batches(columns);
  }
  fingerprint(): string {
    return this.inner.fingerprint();
  }
  origin(): SegmentOrigin {
    return this.inner.origin();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

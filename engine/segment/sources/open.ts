/**
 * Picks the engine for an export's segment: a path (files.ts, cdm.ts), an embedded DuckDB query, or a database.
 * engine/segment/open-source.ts calls it for everything but one plain file. `roots`: the folders a plain file
 * must be in (engine/segment/locate.ts).
 */
import path from 'node:path';
import type { Config, ExportConfig } from '../../config/model.ts';
import { parseDuration } from '../../config/duration.ts';
import { CONFIG_DEFAULTS } from '../../config/load.ts';
import { SegmentError } from '../errors.ts';
import { DuckDbSource } from './duckdb.ts';
import { openPathSource } from './files.ts';
import { PostgresSource } from './postgres.ts';
import type { SegmentSource } from '../source.ts';
import { siteOf } from './where.ts';

const DEFAULT_TIMEOUT_MS = parseDuration(CONFIG_DEFAULTS.statementTimeout)!;

export async function openEngineSource(config: Config, exp: ExportConfig, env: NodeJS.ProcessEnv, roots?: readonly string[]): Promise<SegmentSource> {
  const site = siteOf(config, exp);
  const cwd = path.dirname(config.file);
  const q = exp.segmentQuery;
  if (q === undefined) {
    const label = path.relative(process.cwd(), exp.segmentPath) || exp.segmentPath;
    return openPathSource({ label, site, segmentPath: exp.segmentPath, cwd, statementTimeoutMs: DEFAULT_TIMEOUT_MS, ...(roots !== undefined ? { roots } : {}) });
  }
  if (q.database === undefined) {
    return new DuckDbSource({ label: exp.segment, site, sql: q.query, kind: 'query', cwd, statementTimeoutMs: DEFAULT_TIMEOUT_MS, what: 'the query' });
  }
  const db = config.databases?.[q.database];
  const at = { file: site.configFile, ...(site.line !== undefined ? { line: site.line } : {}) };
  if (db === undefined) throw new SegmentError({ ...at, message: `export '${exp.name}' names unknown database '${q.database}'`, hint: 'define it under databases:' });
  if (db.type === 'duckdb') {
    return new DuckDbSource({
      label: exp.segment,
      site,
      sql: q.query,
      kind: 'query',
      cwd,
      ...(db.path !== undefined ? { databaseFile: db.path } : {}),
      database: db.id,
      statementTimeoutMs: db.statementTimeoutMs,
      what: `the query on database '${db.id}'`,
    });
  }
  const name = db.urlEnv ?? '';
  const url = env[name]?.trim();
  if (url === undefined || url === '') {
    const line = config.locations[`databases.${db.id}.url`]?.line;
    throw new SegmentError({
      file: site.configFile,
      ...(line !== undefined ? { line } : {}),
      message: `environment variable ${name} is not set: database '${db.id}' needs it for its URL`,
      hint: `export ${name}=postgres://user:password@host:5432/dbname`,
    });
  }
  return new PostgresSource({ label: exp.segment, site, query: q.query, database: db.id, urlEnv: name, url, statementTimeoutMs: db.statementTimeoutMs });
}

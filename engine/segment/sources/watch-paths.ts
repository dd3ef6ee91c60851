/**
 * What watch mode listens to for an export's segment, decided from the config alone (no file is opened): a file
 * itself; the folder of a glob or a partitioned/CDM folder (new partitions count); the files an embedded DuckDB
 * query names in read_parquet('...') and the like. A query on a database has none: it is re-read on `schedule`
 * and `poll` instead.
 */
import path from 'node:path';
import type { Config, ExportConfig } from '../../config/model.ts';
import { fileFamily } from './files.ts';
import { isCdmMetadata } from './cdm.ts';

const GLOB = /[*?[]/;

interface Target {
  /** What to watch (a file or a folder, absolute). */
  path: string;
  /** Which changed files below a watched folder concern the segment. */
  matches(file: string): boolean;
}

function pathTarget(abs: string): Target {
  const clean = abs.replace(/#[^/\\]*$/, '');
  if (!GLOB.test(clean)) {
    return {
      path: clean,
      // A file, or a folder of partitions: data files and CDM metadata below it, not stray files (_SUCCESS...).
      matches: (file) => file === clean || (file.startsWith(clean + path.sep) && (fileFamily(file) !== undefined || isCdmMetadata(file))),
    };
  }
  const parts = clean.split(path.sep);
  const first = parts.findIndex((p) => GLOB.test(p));
  const base = parts.slice(0, first).join(path.sep) || path.sep;
  const re = globToRegExp(parts.slice(first).join('/'));
  return { path: base, matches: (file) => file.startsWith(base + path.sep) && re.test(path.relative(base, file).split(path.sep).join('/')) };
}

function targets(config: Config, exp: ExportConfig): Target[] {
  const q = exp.segmentQuery;
  if (q === undefined) return [pathTarget(exp.segmentPath)];
  if (q.database !== undefined) {
    const db = config.databases?.[q.database];
    return db?.type === 'duckdb' && db.path !== undefined ? [pathTarget(db.path)] : [];
  }
  const folder = path.dirname(config.file);
  const out: Target[] = [];
  for (const m of q.query.matchAll(/'([^']+\.(?:parquet|csv|json|ndjson|jsonl)(?:\.gz)?)'/gi)) out.push(pathTarget(path.resolve(folder, m[1]!)));
  return out;
}

/** The paths to watch for these exports (absolute, distinct). */
export function segmentWatchPaths(config: Config, exports: Iterable<ExportConfig>): string[] {
  const out = new Set<string>();
  for (const exp of exports) for (const t of targets(config, exp)) out.add(t.path);
  return [...out];
}

/** Whether a changed file (absolute) changes this export's segment. */
export function segmentFileMatches(config: Config, exp: ExportConfig, file: string): boolean {
  return targets(config, exp).some((t) => t.matches(file));
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (/[.+^${}()|\\[\]]/.test(ch)) re += `\\${ch}`;
    else re += ch;
  }
  return new RegExp(`^${re}$`);
}

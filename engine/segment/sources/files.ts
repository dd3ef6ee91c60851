/**
 * Segments given as a path: one file, a glob, or a folder. A single CSV/NDJSON/JSON file goes through the
 * streaming readers of engine/segment (as before this module existed); Parquet, gzip'd files, globs and folders of
 * partitions go through the embedded DuckDB, files in name order, so the rows always stream in the same order.
 * A folder with model.json or *.manifest.cdm.json is a Common Data Model folder (cdm.ts).
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { SegmentError } from '../errors.ts';
import { segmentFormat } from '../read.ts';
import { isCdmMetadata, openCdmSource } from './cdm.ts';
import { DuckDbSource } from './duckdb.ts';
import { FileSegmentSource } from '../file-source.ts';
import type { SegmentSource } from '../source.ts';
import type { SourceSite } from './where.ts';

export type FileFamily = 'parquet' | 'csv' | 'ndjson' | 'json';

/** The family of a partition file from its name, or undefined for files that are not segment data. */
export function fileFamily(name: string): FileFamily | undefined {
  const n = name.toLowerCase();
  if (n.endsWith('.parquet')) return 'parquet';
  if (n.endsWith('.csv') || n.endsWith('.csv.gz')) return 'csv';
  if (n.endsWith('.ndjson') || n.endsWith('.jsonl') || n.endsWith('.ndjson.gz') || n.endsWith('.jsonl.gz')) return 'ndjson';
  if (n.endsWith('.json')) return 'json';
  return undefined;
}

const GLOB = /[*?[]/;

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** The DuckDB read of files of one family, in the order given. */
export function duckDbRead(family: FileFamily, files: readonly string[]): string {
  const list = `[${files.map(sqlString).join(', ')}]`;
  switch (family) {
    case 'parquet':
      return `select * from read_parquet(${list}, union_by_name = true)`;
    case 'csv':
      // all_varchar: a CSV cell is text, as the streaming reader yields it (no guessed dates or numbers).
      return `select * from read_csv(${list}, header = true, all_varchar = true, union_by_name = true)`;
    case 'ndjson':
      return `select * from read_json(${list}, format = 'newline_delimited', union_by_name = true)`;
    case 'json':
      return `select * from read_json(${list}, format = 'array', union_by_name = true)`;
  }
}

export interface PathSourceOptions {
  label: string;
  site: SourceSite;
  /** Absolute path, glob or folder. */
  segmentPath: string;
  /** The config file's folder. */
  cwd: string;
  statementTimeoutMs: number;
  /** The folders a plain file must be in after following links (engine/segment/locate.ts). */
  roots?: readonly string[];
}

/** Opens the source for a `segment:` path. */
export async function openPathSource(o: PathSourceOptions): Promise<SegmentSource> {
  const hash = o.segmentPath.lastIndexOf('#');
  const [target, entity] = hash > o.segmentPath.lastIndexOf('/') && hash !== -1 ? [o.segmentPath.slice(0, hash), o.segmentPath.slice(hash + 1)] : [o.segmentPath, undefined];
  if (!GLOB.test(path.basename(target))) {
    const info = await stat(target).catch(() => undefined);
    if (info?.isFile() && isCdmMetadata(target)) return openCdmSource({ ...o, metadataFile: target, ...(entity !== undefined ? { entity } : {}) });
    if (info?.isDirectory()) {
      const metadata = await findCdmMetadata(target);
      if (metadata !== undefined) return openCdmSource({ ...o, metadataFile: metadata, ...(entity !== undefined ? { entity } : {}) });
      const files = (await walk(target)).filter((f) => fileFamily(f) !== undefined);
      // A folder named like a file (x.csv/) with no partitions in it is a mistake: the reader explains it.
      if (files.length === 0 && segmentFormat(target) !== undefined) return new FileSegmentSource(target, o.label, o.roots);
      return filesSource(o, files, `folder ${o.label}`);
    }
    // One plain file (or a missing one: the reader says so, as before).
    if (segmentFormat(target) !== undefined) return new FileSegmentSource(target, o.label, o.roots);
    return filesSource(o, info === undefined ? [] : [target], o.label);
  }
  const files = await expandPath(target, o.cwd);
  return filesSource(o, files, o.label);
}

function filesSource(o: PathSourceOptions, files: string[], what: string): SegmentSource {
  if (files.length === 0) {
    throw new SegmentError({
      message: `no segment file matches ${o.label}`,
      file: o.label,
      hint: 'check the `segment:` path, glob or folder (relative to the config file); files must end in .parquet, .csv, .csv.gz, .ndjson, .ndjson.gz, .jsonl or .json',
    });
  }
  const families = new Set(files.map((f) => fileFamily(f)!));
  if (families.size > 1) {
    throw new SegmentError({
      message: `${o.label} mixes file types (${[...families].join(', ')}): one segment is read from files of one type`,
      file: o.label,
      hint: 'narrow the glob (e.g. lake/vip/*.parquet) or move the other files elsewhere',
    });
  }
  const display = files.map((f) => path.relative(o.cwd, f) || f);
  return new DuckDbSource({
    label: o.label,
    site: o.site,
    sql: duckDbRead([...families][0]!, files),
    kind: 'files',
    cwd: o.cwd,
    statementTimeoutMs: o.statementTimeoutMs,
    files: { display, absolute: files },
    what,
  });
}

async function findCdmMetadata(folder: string): Promise<string | undefined> {
  const names = (await readdir(folder)).sort();
  const manifest = names.find((n) => n.toLowerCase().endsWith('.manifest.cdm.json'));
  if (manifest !== undefined) return path.join(folder, manifest);
  if (names.includes('model.json')) return path.join(folder, 'model.json');
  return undefined;
}

/** Every file under a folder (recursively: partition folders such as year=2024/), sorted by relative path. */
async function walk(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort(byPath);
}

function byPath(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Expands `*`, `?`, `[...]` and `**` (any folders) of a glob relative to `cwd`; files only, sorted. */
export async function expandPath(pattern: string, cwd: string): Promise<string[]> {
  const abs = path.resolve(cwd, pattern);
  if (!GLOB.test(abs)) return (await stat(abs).catch(() => undefined))?.isFile() ? [abs] : [];
  const parts = abs.split(path.sep);
  const firstGlob = parts.findIndex((p) => GLOB.test(p));
  const base = parts.slice(0, firstGlob).join(path.sep) || path.sep;
  const re = globRegExp(parts.slice(firstGlob).join('/'));
  const entries = await readdir(base, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .filter((f) => re.test(path.relative(base, f).split(path.sep).join('/')))
    .sort(byPath);
}

function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = glob.indexOf(']', i);
      if (end === -1) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += /[.+^${}()|\\]/.test(ch) ? `\\${ch}` : ch;
  }
  return new RegExp(`^${re}$`);
}

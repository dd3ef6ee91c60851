/** Shared by the segment-source tests: configs with databases and query segments, files made by DuckDB. */
import { DuckDBInstance } from '@duckdb/node-api';
import type { Workspace } from '../helpers/workspace.ts';

export interface SourceExport {
  name: string;
  /** YAML for the value of `segment:` (a path, or an indented block starting with a newline). */
  segment: string;
  listId: number;
  /** Mapping lines (indented 6); the default maps Email/First/Last/Tier. */
  mapping?: string[];
  extra?: string[];
}

export const DEFAULT_MAPPING = ['      email: Email', '      firstName: First', '      lastName: Last', '      fields:', '        LOYALTY_TIER: Tier'];

/** acsync.yaml with the emulator's connection, optional `databases:` lines, and the exports. */
export async function writeConfig(ws: Workspace, exports: SourceExport[], databases: string[] = []): Promise<string> {
  const lines = [
    'version: 1',
    'roles:',
    '  admins: [ana@contoso.example]',
    'connections:',
    '  ac:',
    '    type: activecampaign',
    '    displayName: Test account',
    `    hostname: ${ws.emulator.hostname}`,
    '    apiKey: ${AC_API_KEY}',
    '    dataPrivacyConsent: true',
    '    exportUser: ana@contoso.example',
    ...(databases.length > 0 ? ['databases:', ...databases] : []),
    'exports:',
  ];
  for (const e of exports) {
    lines.push(`  ${e.name}:`, '    connection: ac', '    owner: ana@contoso.example', `    segment: ${e.segment}`, `    listId: ${e.listId}`, '    mapping:', ...(e.mapping ?? DEFAULT_MAPPING), ...(e.extra ?? []));
  }
  return ws.write('acsync.yaml', lines.join('\n') + '\n');
}

/** The line (1-based) of the first line of acsync.yaml's text that contains `needle`. */
export function lineOf(yaml: string, needle: string): number {
  return yaml.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

/** Runs SQL in a scratch DuckDB with `dir` as working directory: how the tests write Parquet files. */
export async function duck(dir: string, sql: string): Promise<void> {
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  try {
    await conn.run(`set file_search_path = '${dir.replace(/'/g, "''")}'`);
    // COPY ... TO resolves against the process's cwd, not file_search_path: use absolute paths in `sql`.
    await conn.run(sql);
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}

/** A SELECT of literal rows (Email, First, Last, Tier) for COPY ... TO. */
export function rowsSql(rows: Array<[email: string | null, first: string | null, last: string | null, tier: number | null]>): string {
  const lit = (v: string | number | null): string => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${v.replace(/'/g, "''")}'`);
  return `select * from (values ${rows.map((r) => `(${r.map(lit).join(', ')})`).join(', ')}) t("Email", "First", "Last", "Tier")`;
}

export async function writeParquet(ws: Workspace, rel: string, rows: Parameters<typeof rowsSql>[0]): Promise<string> {
  const file = await ws.write(rel, '');
  await duck(ws.dir, `copy (${rowsSql(rows)}) to '${file}' (format parquet)`);
  return file;
}

/** The config surface of segment sources: `databases:`, `segment: {query, database}`, `poll:`, with positions. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config/load.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'acsync-srccfg-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const HEAD = `version: 1
roles:
  admins: [ana@contoso.example]
connections:
  ac:
    type: activecampaign
    displayName: AC
    hostname: 127.0.0.1:4010
    apiKey: \${AC_API_KEY}
    dataPrivacyConsent: true
    exportUser: ana@contoso.example
`;
const exportYaml = (segment: string, extra = ''): string => `exports:
  loyal:
    connection: ac
    owner: ana@contoso.example
    segment: ${segment}
    listId: 1
    mapping:
      email: email
${extra}`;

async function load(yaml: string, env: NodeJS.ProcessEnv = {}) {
  await writeFile(path.join(dir, 'acsync.yaml'), yaml);
  return loadConfig('acsync.yaml', { cwd: dir, checks: { env } });
}

describe('databases and query segments in the config', () => {
  it('loads a query segment on a database, with the timeout and poll resolved', async () => {
    const r = await load(`${HEAD}databases:\n  warehouse:\n    type: postgres\n    url: \${WAREHOUSE_URL}\n    statementTimeout: 30s\n${exportYaml('\n      database: warehouse\n      query: select email from t', '    poll: 5m\n')}`, { AC_API_KEY: 'k', WAREHOUSE_URL: 'postgres://x' });
    expect(r.diagnostics).toEqual([]);
    expect(r.config!.databases!.warehouse).toEqual({ id: 'warehouse', type: 'postgres', urlEnv: 'WAREHOUSE_URL', statementTimeoutMs: 30_000 });
    expect(r.config!.exports.loyal).toMatchObject({ segment: 'query on warehouse', segmentQuery: { query: 'select email from t', database: 'warehouse' }, pollMs: 300_000 });
  });

  it('a literal URL is an error at its file:line:column that never repeats it; and nothing loads', async () => {
    const secret = 'postgres://ana:hunter2-S3cret@db.example:5432/crm';
    const r = await load(`${HEAD}databases:\n  warehouse:\n    type: postgres\n    url: ${secret}\n${exportYaml('\n      database: warehouse\n      query: select email from t')}`);
    expect(r.config).toBeUndefined();
    const d = r.diagnostics.find((x) => x.path === 'databases.warehouse.url')!;
    expect(d).toMatchObject({ severity: 'error', file: 'acsync.yaml', line: 15, column: 10 });
    expect(d.message).toBe('url must reference an environment variable: a literal URL is not allowed in the config file (it holds the password)');
    expect(d.hint).toMatch(/write url: \$\{WAREHOUSE_URL\}.*change the database password/);
    expect(JSON.stringify(r.diagnostics)).not.toContain('hunter2');
  });

  it('an unknown database is named with a suggestion; postgres without url, poll on a file segment, a bad extension', async () => {
    const r = await load(`${HEAD}databases:\n  warehouse:\n    type: postgres\n  lake:\n    type: duckdb\n    path: lake.duckdb\n${exportYaml('\n      database: warehose\n      query: select 1')}  other:\n    connection: ac\n    owner: ana@contoso.example\n    segment: seg.xlsx\n    listId: 2\n    poll: 1m\n    mapping:\n      email: email\n`);
    const byPath = Object.fromEntries(r.diagnostics.map((d) => [d.path, d]));
    expect(byPath['databases.warehouse']).toMatchObject({ severity: 'error', line: 13, message: "database 'warehouse' (type postgres) has no url" });
    expect(byPath['exports.loyal.segment.database']).toMatchObject({ severity: 'error', line: 23, column: 17, message: "unknown database 'warehose'", hint: "did you mean 'warehouse'?" });
    expect(byPath['exports.other.segment']).toMatchObject({ severity: 'error', message: "acsync cannot read 'seg.xlsx' as a segment: unknown file type" });
    expect(byPath['exports.other.poll']).toMatchObject({ severity: 'warning', message: 'poll only applies to a query on a database' });
  });

  it('plain string segments keep working, globs and folders included, and a query object needs query', async () => {
    for (const seg of ['seg.csv', "'lake/*.parquet'", 'lake/ci-export', 'lake/ci/model.json#VipCustomers', 'x.ndjson.gz']) {
      const r = await load(`${HEAD}${exportYaml(seg)}`, { AC_API_KEY: 'k' });
      expect(r.diagnostics.filter((d) => d.severity === 'error'), seg).toEqual([]);
    }
    const r = await load(`${HEAD}${exportYaml('\n      database: warehouse')}`);
    expect(r.diagnostics.some((d) => d.path === 'exports.loyal.segment' && /missing required property 'query'/.test(d.message))).toBe(true);
  });
});

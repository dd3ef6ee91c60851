/**
 * A first export of N new profiles through the engine against the emulator at ActiveCampaign's REAL limits
 * (5 requests/s, 100 bulk imports/min, 2 s batches), as issue 4 asks to measure. A script, not a test:
 *   node --import tsx bench/first-export.ts [--rows 10000] [--seed 7]
 * Prints requests by kind, contacts per bulk request, and the wall time against the limit-bound time.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startEmulator } from '../emulator/index.ts';
import { loadConfig } from '../engine/config/load.ts';
import type { EngineEvent } from '../engine/events.ts';
import { runExports } from '../engine/pipeline/run.ts';
import { writeSegmentCsv } from './segment-generate.ts';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '10000' }, seed: { type: 'string', default: '7' } } });
const rows = Number(values.rows);
const dir = await mkdtemp(path.join(os.tmpdir(), 'acsync-first-export-'));
const emulator = await startEmulator({ port: 0, apiKey: 'bench-key', seedLists: 1, seedFields: ['LOYALTY_TIER', 'CITY'] });
try {
  await writeSegmentCsv(path.join(dir, 'segment.csv'), { rows, seed: Number(values.seed) });
  await writeFile(
    path.join(dir, 'acsync.yaml'),
    `version: 1
roles: { admins: [ana@contoso.example] }
connections:
  ac: { type: activecampaign, displayName: Bench, hostname: "${emulator.hostname}", apiKey: "\${AC_API_KEY}", dataPrivacyConsent: true, exportUser: ana@contoso.example }
exports:
  bench:
    connection: ac
    owner: ana@contoso.example
    segment: segment.csv
    listId: 1
    mapping: { email: Email, firstName: FirstName, lastName: LastName, phone: Phone, fields: { LOYALTY_TIER: LoyaltyTier, CITY: City } }
`,
  );
  const { config, diagnostics } = await loadConfig(path.join(dir, 'acsync.yaml'));
  if (config === undefined) throw new Error(JSON.stringify(diagnostics));
  let bulkContacts = 0;
  let bulkBatches = 0;
  let requests: Record<string, number> = {};
  const sink = (e: EngineEvent) => {
    if (e.type === 'batch:sent' && e.kind === 'bulk_import') {
      bulkContacts += e.contacts;
      bulkBatches++;
    }
    if (e.type === 'apply:summary') requests = e.requests;
  };
  const started = performance.now();
  const result = await runExports(config, { mode: 'apply', sink, env: { ...process.env, AC_API_KEY: 'bench-key' } });
  const wallS = (performance.now() - started) / 1000;
  const total = Object.values(requests).reduce((a, b) => a + b, 0);
  const bulk = requests['POST /import/bulk_import'] ?? 0;
  // The fastest ActiveCampaign allows for these requests: 5 per second overall, 100 bulk imports per rolling minute.
  const boundS = Math.max(total / 5, bulk > 100 ? ((bulk - 100) / 100) * 60 : 0);
  const stats = emulator.stats();
  console.log(`first export of ${rows.toLocaleString('en-US')} generated profiles at real limits (node ${process.version}, ${os.cpus().length} cores)`);
  console.log(`result: ok=${result.ok} applied=${result.exports[0]?.applied} failed=${result.exports[0]?.failed}`);
  console.log('requests by kind (client):', JSON.stringify(requests));
  console.log(`contacts per bulk request: ${(bulkContacts / Math.max(1, bulkBatches)).toFixed(1)} (${bulkBatches} batches)`);
  console.log(`429s seen by the emulator: ${stats.rateLimited}; max requests in any 1 s: ${stats.maxRequestsPerSecond}`);
  console.log(`wall time: ${wallS.toFixed(1)} s; limit-bound time (requests ÷ allowed rate): ${boundS.toFixed(1)} s; ratio ${(wallS / boundS).toFixed(2)}`);
} finally {
  await emulator.stop();
  await rm(dir, { recursive: true, force: true });
}

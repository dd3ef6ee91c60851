/**
 * Child process of the benchmark: applies a config through the engine alone (runExports, no CLI reporter) and
 * prints its peak RSS as JSON, to tell the engine's memory from the CLI's.
 *   node --import tsx bench/apply-engine.ts <config>
 */
import { loadConfig } from '../engine/config/load.ts';
import { runExports } from '../engine/pipeline/run.ts';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: apply-engine.ts <config>');
const loaded = await loadConfig(file);
if (loaded.config === undefined) throw new Error(`invalid config: ${JSON.stringify(loaded.diagnostics)}`);
const result = await runExports(loaded.config, { mode: 'apply', sink: () => {} });
process.stdout.write(`${JSON.stringify({ ok: result.ok, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);

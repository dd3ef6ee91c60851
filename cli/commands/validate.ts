/**
 * `acsync validate`: checks a config file and reports every problem at once. Exit 0 when valid (warnings
 * allowed), 1 when not. Diagnostics are the command's output, so they go to stdout.
 */
import { parseArgs } from 'node:util';
import { countLine, formatDiagnostics } from '../diagnostics.ts';
import { loadConfig } from '../../engine/config/load.ts';
import { connectDiagnostics } from '../../engine/segment/sources/check.ts';

export const DEFAULT_CONFIG_FILE = 'acsync.yaml';

const USAGE = `Usage: acsync validate [-c|--config PATH] [--connect] [--json] [--no-color]

Checks the config file (default ./${DEFAULT_CONFIG_FILE}) and reports every problem as
file:line:column severity path: message. Exits 0 when the file is valid (warnings allowed), 1 when not.

Options:
  -c, --config PATH  the config file to check (default ./${DEFAULT_CONFIG_FILE})
      --connect      also open each segment source: connect to its database, prepare each query
                     without running it, and check that every mapped column exists
      --json         one JSON object per diagnostic, then a result object (one per line)
      --no-color     no colours (also when NO_COLOR is set or stdout is not a terminal)
  -h, --help         this help`;

export async function run(argv: string[]): Promise<number> {
  let values: { config?: string; connect?: boolean; json?: boolean; 'no-color'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        connect: { type: 'boolean' },
        json: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`acsync validate: ${e instanceof Error ? e.message : String(e)}\n\n${USAGE}\n`);
    return 1;
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }

  const file = values.config ?? DEFAULT_CONFIG_FILE;
  const loaded = await loadConfig(file, { checks: { env: process.env, segmentFiles: true } });
  const diagnostics = loaded.diagnostics;
  if (values.connect && loaded.config !== undefined) {
    diagnostics.push(...(await connectDiagnostics(loaded.config, process.env)));
    diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
  }
  const config = diagnostics.some((d) => d.severity === 'error') ? undefined : loaded.config;
  const valid = config !== undefined;

  if (values.json) {
    const lines = diagnostics.map((d) => JSON.stringify({ type: 'diagnostic', ...d }));
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    lines.push(JSON.stringify({ type: 'result', file: config?.displayFile ?? diagnostics[0]?.file ?? file, valid, errors, warnings: diagnostics.length - errors }));
    process.stdout.write(lines.join('\n') + '\n');
    return valid ? 0 : 1;
  }

  const noColorEnv = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  const color = !values['no-color'] && !noColorEnv && process.stdout.isTTY === true;
  const out: string[] = [];
  if (diagnostics.length > 0) out.push(formatDiagnostics(diagnostics, { color }));
  if (config !== undefined) {
    const exportCount = Object.keys(config.exports).length;
    const connCount = Object.keys(config.connections).length;
    const summary = `${config.displayFile} is valid: ${exportCount} ${exportCount === 1 ? 'export' : 'exports'} on ${connCount} ${connCount === 1 ? 'connection' : 'connections'}`;
    out.push(diagnostics.length > 0 ? `${summary} (${countLine(diagnostics)})` : summary);
  }
  process.stdout.write(out.join('\n') + '\n');
  return valid ? 0 : 1;
}

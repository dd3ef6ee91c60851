/**
 * `acsync validate`: checks a config file and reports every problem at once. Exit 0 when valid (warnings
 * allowed), 1 when not. Diagnostics are the command's output, so they go to stdout (through the reporter: plain
 * lines, or JSON with --json; GitHub annotations too under GITHUB_ACTIONS=true).
 */
import { parseArgs } from 'node:util';
import { loadOrReport, makeReporter } from '../exec.ts';
import type { CliIo } from '../io.ts';
import { maskEmails } from '../report/output-policy.ts';
import { connectDiagnostics } from '../../engine/segment/sources/check.ts';
import type { Config } from '../../engine/config/model.ts';

export const DEFAULT_CONFIG_FILE = 'acsync.yaml';

const USAGE = `Usage: acsync validate [-c|--config PATH] [--connect] [--json] [--no-color]

Checks the config file (default ./${DEFAULT_CONFIG_FILE}) and reports every problem as
file:line:column severity path: message. Exits 0 when the file is valid
(warnings allowed), 1 when not.

Options:
  -c, --config PATH  the config file to check (default ./${DEFAULT_CONFIG_FILE})
      --connect      also open each segment source: connect to its database,
                     prepare each query without running it, and check that
                     every mapped column exists
      --json         one JSON object per diagnostic, then a result object (one
                     per line)
      --no-color     no colours (also when NO_COLOR is set or stdout is not a
                     terminal)
  -h, --help         this help`;

export async function run(argv: string[], io: CliIo): Promise<number> {
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
    io.stderr.write(`acsync validate: ${e instanceof Error ? e.message : String(e)}\n\n${USAGE}\n`);
    return 1;
  }
  if (values.help) {
    io.stdout.write(USAGE + '\n');
    return 0;
  }

  const flags = { json: values.json === true, noColor: values['no-color'] === true, full: false, maskEmails: maskEmails({}, io.env) };
  const reporter = makeReporter('validate', flags, io, { live: false });
  const file = values.config ?? DEFAULT_CONFIG_FILE;
  const config = await loadOrReport(file, reporter, io, {
    checks: { env: io.env, segmentFiles: true },
    always: true,
    ...(values.connect === true ? { extra: (c: Config) => connectDiagnostics(c, io.env) } : {}),
  });
  await reporter.close();
  return config !== undefined ? 0 : 1;
}

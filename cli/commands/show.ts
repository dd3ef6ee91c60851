/** `acsync show plan.json`: renders a saved plan, as `acsync plan` showed it. Reads nothing but the file. */
import { parseArgs } from 'node:util';
import { readSavedPlan } from '../../engine/saved-plan.ts';
import path from 'node:path';
import { loadConfig } from '../../engine/config/load.ts';
import { commonFlags, connectionNames, makeReporter } from '../exec.ts';
import type { CliIo } from '../io.ts';

const HELP = `Usage: acsync show PLAN_FILE [--json] [--full] [--no-color]
                        [--mask-emails | --no-mask-emails]

Renders a plan saved with \`acsync plan --out PLAN_FILE\`: what
\`acsync apply PLAN_FILE\` would do.

Options:
      --json             the saved plans as one JSON object per export
      --full             list every change (long lists are cut to the first 20
                         per kind)
      --no-color         no colour (also when NO_COLOR is set)
      --mask-emails      show a***@contoso.example (the default in CI)
      --no-mask-emails   show emails in full
  -h, --help             this help
`;

const parse = (argv: string[]) =>
  parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
      'no-color': { type: 'boolean', default: false },
      'mask-emails': { type: 'boolean' },
      'no-mask-emails': { type: 'boolean' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });

export async function run(argv: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    io.stderr.write(`acsync show: ${(err as Error).message}\n`);
    return 1;
  }
  if (parsed.values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const file = parsed.positionals[0];
  if (file === undefined || parsed.positionals.length > 1) {
    io.stderr.write(`acsync show: name one saved plan file\n${HELP}`);
    return 1;
  }
  const flags = commonFlags(parsed.values, io.env);
  const saved = await readSavedPlan(path.resolve(io.cwd, file)).catch((err: unknown) => err as Error);
  // The connections by their display names, as plan shows them, from the config the plan was made from; a
  // config that is gone or no longer loads leaves the ids (the plan itself is all show needs).
  const names =
    saved instanceof Error
      ? undefined
      : await loadConfig(saved.config.file, { cwd: io.cwd }).then(
          (r) => (r.config === undefined ? undefined : connectionNames(r.config)),
          () => undefined,
        );
  const reporter = makeReporter('show', flags, io, { live: false, ...(names !== undefined ? { connectionNames: names } : {}) });
  try {
    if (saved instanceof Error) {
      reporter.notice(`acsync show: ${saved.message}`);
      return 1;
    }
    reporter.savedPlan({ file, saved });
    return 0;
  } finally {
    await reporter.close();
  }
}

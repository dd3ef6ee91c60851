/**
 * `acsync emulator`: runs the bundled ActiveCampaign-compatible API until SIGINT/SIGTERM, then saves its
 * data file (when --data is given) and exits 0.
 */
import type { EmulatorOptions, FaultConfig } from '../../emulator/index.ts';
import type { CliIo } from '../io.ts';
import { PLAIN_WIDTH, wrapText } from '../report/layout.ts';
import { parseQuirksFlag } from '../../emulator/quirks.ts';

const HELP = `Usage: acsync emulator [options]

Runs a local ActiveCampaign API v3 emulator (for the quick start, tests and
benchmarks).

Options:
  --port N                 port to listen on (default 4010; 0 = any free port)
  --host H                 address to listen on (default 127.0.0.1)
  --api-key K              the Api-Token clients must send (default: a random
                           key, printed)
  --data FILE              keep the state in FILE (loaded at start, saved
                           atomically on change and on exit)
  --seed-lists N           create lists 1..N when absent
  --seed-fields A,B        create custom fields with these personalization
                           tags, related to all lists
  --rate-limit N           requests per second per account (default 5,
                           ActiveCampaign's limit)
  --bulk-per-minute N      multi-contact bulk imports per minute (default 100)
  --single-bulk-per-minute N
                           single-contact bulk imports per minute (default 20)
  --bulk-delay-ms N        how long a bulk batch takes from queued to
                           completed (default 2000)
  --faults JSON            fault injection, e.g.
                           '{"seed":7,"errorRate":0.05,"resetRate":0.01}'
  --quirks[=A,B]           behave as real accounts do beyond the reference
                           (all quirks, or the named ones: see
                           emulator/README.md); off by default
  -h, --help               this help
`;

const NUMBER_FLAGS = {
  '--port': 'port',
  '--seed-lists': 'seedLists',
  '--rate-limit': 'rateLimit',
  '--bulk-per-minute': 'bulkPerMinute',
  '--single-bulk-per-minute': 'singleBulkPerMinute',
  '--bulk-delay-ms': 'bulkDelayMs',
} as const;

/** Parses argv into emulator options, or returns the message for the user. */
export function parseEmulatorArgs(argv: string[]): { options: EmulatorOptions } | { error: string } | { help: true } {
  const options: EmulatorOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-h' || arg === '--help') return { help: true };
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string | undefined => inline ?? argv[++i];
    if (flag in NUMBER_FLAGS) {
      const v = value();
      const n = Number(v);
      if (v === undefined || v.trim() === '' || !Number.isFinite(n) || n < 0 || !Number.isInteger(n))
        return { error: `${flag} needs a whole number >= 0, got ${v === undefined ? 'nothing' : JSON.stringify(v)}` };
      options[NUMBER_FLAGS[flag as keyof typeof NUMBER_FLAGS]] = n;
      continue;
    }
    if (flag === '--quirks') {
      try {
        options.quirks = parseQuirksFlag(inline ?? true);
      } catch (e) {
        return { error: e instanceof Error ? e.message : String(e) };
      }
      continue;
    }
    switch (flag) {
      case '--host':
      case '--api-key':
      case '--data':
      case '--seed-fields':
      case '--faults': {
        const v = value();
        if (v === undefined || v === '') return { error: `${flag} needs a value` };
        if (flag === '--host') options.host = v;
        else if (flag === '--api-key') options.apiKey = v;
        else if (flag === '--data') options.dataFile = v;
        else if (flag === '--seed-fields')
          options.seedFields = v
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '');
        else {
          try {
            const f = JSON.parse(v) as unknown;
            if (typeof f !== 'object' || f === null || Array.isArray(f)) return { error: '--faults needs a JSON object, e.g. \'{"errorRate":0.05}\'' };
            options.faults = f as FaultConfig;
          } catch (e) {
            return { error: `--faults is not valid JSON (${e instanceof Error ? e.message : String(e)}); quote it for your shell, e.g. '{"errorRate":0.05}'` };
          }
        }
        continue;
      }
      default:
        return { error: `unknown option ${arg}` };
    }
  }
  return { options };
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseEmulatorArgs(argv);
  if ('help' in parsed) {
    io.stdout.write(HELP);
    return 0;
  }
  if ('error' in parsed) {
    io.stderr.write(`acsync emulator: ${parsed.error}\nRun \`acsync emulator --help\` for the options.\n`);
    return 1;
  }
  const { startEmulator } = await import('../../emulator/index.ts');
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  try {
    emulator = await startEmulator(parsed.options);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') {
      io.stderr.write(`acsync emulator: port ${String(parsed.options.port ?? 4010)} is in use. Stop the other process or pass --port 0 for any free port.\n`);
      return 1;
    }
    if (err instanceof Error && parsed.options.dataFile !== undefined && err.message.startsWith(parsed.options.dataFile)) {
      io.stderr.write(`acsync emulator: ${err.message}\n`);
      return 1;
    }
    throw e;
  }
  const e = emulator;
  // Laid out for the terminal (80 columns in a log): a terminal's own wrap broke "needed" across two lines.
  const say = (lines: string[]): void => void io.stdout.write(wrapText(lines.join('\n'), io.columns || PLAIN_WIDTH));
  say([
    `ActiveCampaign emulator listening on ${e.url}`,
    `  hostname: ${e.hostname}`,
    `  api key:  ${e.apiKey}`,
    parsed.options.dataFile !== undefined ? `  data:     ${parsed.options.dataFile}` : '  data:     in memory (pass --data FILE to keep it)',
    ...(e.quirks().length > 0 ? [`  quirks:   ${e.quirks().join(', ')}`] : []),
    '',
    'Connection for acsync.yaml:',
    '  connections:',
    '    emulator:',
    '      type: activecampaign',
    '      displayName: Local ActiveCampaign emulator',
    `      hostname: ${e.hostname}`,
    '      apiKey: ${AC_API_KEY}',
    '      dataPrivacyConsent: true',
    '      exportUser: you@example.com',
    '',
    `Then: export AC_API_KEY=${e.apiKey}`,
    `Test hooks: ${e.url}/__emulator/state, /__emulator/stats (no key needed). Ctrl-C to stop.`,
    '',
  ]);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      for (const off of offSignals) off();
      resolve();
    };
    const offSignals = [io.onSignal('SIGINT', stop), io.onSignal('SIGTERM', stop)];
  });
  await e.stop();
  io.stderr.write(
    parsed.options.dataFile !== undefined ? `acsync emulator: stopped; state saved to ${parsed.options.dataFile}\n` : 'acsync emulator: stopped\n',
  );
  return 0;
}

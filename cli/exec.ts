/**
 * What the commands share: the common flags (colour and masking decided by report/output-policy.ts), choosing a
 * reporter for the command's I/O, loading the config (its diagnostics through that reporter), and turning a
 * RunResult into an exit code.
 */
import { closest } from './suggest.ts';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig } from '../engine/config/load.ts';
import type { Config, Diagnostic } from '../engine/config/model.ts';
import type { RunResult } from '../engine/model.ts';
import type { CliIo } from './io.ts';
import { maskEmails, streamColors } from './report/output-policy.ts';
import { PLAIN_WIDTH } from './report/layout.ts';
import { chooseReporterKind, createReporter, type Reporter, type ReporterMode } from './report/reporter.ts';
import { REFRESH_MODES, type RefreshMode } from '../engine/snapshot/read-list.ts';

/** `--refresh` for the commands that read lists (plan, apply, watch). */
export const REFRESH_OPTION = { refresh: { type: 'string' } } as const satisfies ParseArgsConfig['options'];

// Help texts fit 80 columns (test/cli/help.test.ts): descriptions start at column 33 and wrap under it.
export const REFRESH_HELP = `      --refresh MODE            how lists are read: auto (default: through
                                the local snapshot when it is fresh), full
                                (read every member and rewrite the snapshot),
                                off (every member, no snapshot)`;

export const RETRY_REJECTED_OPTION = { 'retry-rejected': { type: 'boolean', default: false } } as const satisfies ParseArgsConfig['options'];

export const RETRY_REJECTED_HELP = `      --retry-rejected          plan contacts ActiveCampaign refused or skipped
                                before (shown as skipped, with the reason and
                                the date, while their row is unchanged) as new`;

/** The --refresh value, or undefined when not given (then ACSYNC_REFRESH, then auto). */
export function refreshFlag(values: Record<string, unknown>): RefreshMode | undefined {
  const v = values['refresh'];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(REFRESH_MODES as readonly string[]).includes(v)) {
    throw new UsageError(`--refresh must be one of ${REFRESH_MODES.join(', ')} (got '${String(v)}')`);
  }
  return v as RefreshMode;
}

export const COMMON_OPTIONS = {
  config: { type: 'string', short: 'c' },
  export: { type: 'string', multiple: true },
  json: { type: 'boolean', default: false },
  'no-color': { type: 'boolean', default: false },
  full: { type: 'boolean', default: false },
  'mask-emails': { type: 'boolean' },
  'no-mask-emails': { type: 'boolean' },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

export const COMMON_HELP = `Common options:
  -c, --config PATH             the config file (default: ./acsync.yaml)
      --export NAME             only this export (repeatable); default: every
                                enabled export
      --json                    one JSON event per line on stdout (see
                                cli/report/JSON-EVENTS.md)
      --full                    list every change (long lists are cut to the
                                first 20 per kind)
      --no-color                no colour (also when NO_COLOR is set)
      --mask-emails             show a***@contoso.example in every output
                                (the default in CI: see the README)
      --no-mask-emails          show emails in full
  -h, --help                    this help`;

export interface CommonFlags {
  config: string;
  exports: string[];
  json: boolean;
  /** --no-color was given (NO_COLOR, FORCE_COLOR and the terminal are weighed by output-policy.ts). */
  noColor: boolean;
  full: boolean;
  maskEmails: boolean;
}

export class UsageError extends Error {}

/** Parses argv with the common options plus the command's own; unknown flags are a UsageError. */
export function parseCommand<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], extra: T, allowPositionals = false) {
  const options = { ...COMMON_OPTIONS, ...extra };
  const longNames = Object.keys(options);
  try {
    return parseArgs({ args: terraformSpellings(argv), options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError(usageMessage(err, longNames));
  }
}

/**
 * Terraform's single-dash spellings of long options (`-auto-approve`, `-out=plan.json`, `-detailed-exitcode`), which
 * our users type from habit, read as the double-dash ones. A single letter (`-c FILE`) stays a short option;
 * nothing after `--` is touched.
 */
export function terraformSpellings(argv: readonly string[]): string[] {
  const out: string[] = [];
  let rest = false;
  for (const arg of argv) {
    if (rest || arg === '--') {
      rest = true;
      out.push(arg);
      continue;
    }
    // A single dash and a word is a long option as Terraform spells it, known or not (an unknown one is then
    // reported whole, "-out", not as the short option "-o").
    const m = /^-([a-z][a-z-]+)(=.*)?$/.exec(arg);
    out.push(m !== null ? `--${m[1]!}${m[2] ?? ''}` : arg);
  }
  return out;
}

/** node:util's parse errors in our words: what was wrong, and the option that was probably meant. */
export function usageMessage(err: unknown, longNames: readonly string[]): string {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const typed = /'(-[^']*)'/.exec(message)?.[1] ?? '';
    const name = typed.replace(/^-+/, '').replace(/=.*$/, '');
    const meant = closest(name, longNames);
    return `unknown option ${typed}${meant !== undefined ? `; did you mean --${meant}?` : ''}`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const typed = /'([^']*)'/.exec(message)?.[1];
    return typed === undefined ? 'this command takes no arguments' : `unexpected argument '${typed}'`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return message.replace(/^Option '([^']+)'/, 'option $1').replace(/\.$/, '');
  return message;
}

export function commonFlags(values: Record<string, unknown>, env: NodeJS.ProcessEnv): CommonFlags {
  return {
    config: typeof values['config'] === 'string' ? values['config'] : 'acsync.yaml',
    exports: Array.isArray(values['export']) ? (values['export'] as string[]) : [],
    json: values['json'] === true,
    noColor: values['no-color'] === true,
    full: values['full'] === true,
    maskEmails: maskEmails({ mask: values['mask-emails'] === true, noMask: values['no-mask-emails'] === true }, env),
  };
}

/**
 * The command's reporter: JSON with --json, Ink on a terminal outside CI (commands that print once pass
 * live: false), plain lines otherwise. Colour follows the stream the format writes its data on.
 */
export function makeReporter(
  mode: ReporterMode,
  flags: Pick<CommonFlags, 'json' | 'noColor' | 'full' | 'maskEmails'>,
  io: CliIo,
  extra: { connectionNames?: Record<string, string>; live?: boolean } = {},
): Reporter {
  const kind = chooseReporterKind({
    json: flags.json,
    stderrIsTTY: io.isTTY.stderr,
    stdoutIsPipe: io.stdoutIsPipe,
    env: io.env,
    ...(extra.live !== undefined ? { live: extra.live } : {}),
  });
  const colors = streamColors(flags.noColor, io);
  return createReporter(kind, {
    mode,
    // Ink draws on stderr; lines put their data on stdout.
    color: kind === 'ink' ? colors.stderr : colors.stdout,
    maskEmails: flags.maskEmails,
    full: flags.full,
    stdout: io.stdout,
    stderr: io.stderr,
    env: io.env,
    cwd: io.cwd,
    now: io.now,
    stdin: io.stdin,
    // io.columns is the terminal's width; a pipe, a file or a CI log gets the width any reader has (layout.ts).
    columns: io.isTTY.stdout && io.columns !== undefined ? io.columns : PLAIN_WIDTH,
    stderrColumns: io.isTTY.stderr && io.columns !== undefined ? io.columns : PLAIN_WIDTH,
    ...(extra.connectionNames !== undefined ? { connectionNames: extra.connectionNames } : {}),
  });
}

/** Connection id → display name, for the plan's headers. */
export function connectionNames(config: Config): Record<string, string> {
  const names: Record<string, string> = {};
  for (const c of Object.values(config.connections)) names[c.id] = c.displayName;
  return names;
}

/**
 * Loads the config (relative to io.cwd) and reports its diagnostics (with `always`, also a clean result: validate's
 * verdict); undefined when it has errors.
 */
export async function loadOrReport(
  file: string,
  reporter: Reporter,
  io: CliIo,
  opts: {
    checks?: { env: NodeJS.ProcessEnv; segmentFiles: boolean };
    always?: boolean;
    /** More checks of a valid config (validate --connect): their errors make the config invalid too. */
    extra?: (config: Config) => Promise<Diagnostic[]>;
  } = {},
): Promise<Config | undefined> {
  const result = await loadConfig(file, { cwd: io.cwd, ...(opts.checks !== undefined ? { checks: opts.checks } : {}) });
  const diagnostics = [...result.diagnostics];
  let config = result.config;
  if (config !== undefined && opts.extra !== undefined) {
    diagnostics.push(...(await opts.extra(config)));
    diagnostics.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    if (diagnostics.some((d) => d.severity === 'error')) config = undefined;
  }
  if (opts.always === true || diagnostics.length > 0 || config === undefined) {
    reporter.config({ file: config?.displayFile ?? file, diagnostics, ...(config !== undefined ? { valid: counts(config) } : {}) });
  }
  return config;
}

export function counts(config: Config): { exports: number; connections: number } {
  return { exports: Object.keys(config.exports).length, connections: Object.keys(config.connections).length };
}

/** Terraform's convention for `plan --detailed-exitcode`: 0 no changes, 1 error, 2 changes pending. */
export function exitCode(result: RunResult, detailed: boolean): number {
  if (!result.ok) return 1;
  if (result.mode === 'plan' && detailed && result.changesPending) return 2;
  return 0;
}

export function usageFailure(command: string, err: unknown, io: Pick<CliIo, 'stderr'>): number {
  io.stderr.write(`acsync ${command}: ${err instanceof Error ? err.message : String(err)}\nRun \`acsync ${command} --help\` for the options.\n`);
  return 1;
}

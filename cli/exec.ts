/**
 * What `plan`, `apply` and `demo` share: the common flags, loading the config (diagnostics printed, exit 1 on
 * errors), choosing a reporter, and turning a RunResult into an exit code.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig } from '../engine/config/load.ts';
import type { Config } from '../engine/config/model.ts';
import type { RunResult } from '../engine/model.ts';
import { formatDiagnostics } from './diagnostics.ts';
import { chooseReporterKind, createReporter, type Reporter } from './report/reporter.ts';
import { emitGithubDiagnostics } from './report/github.ts';
import { REFRESH_MODES, type RefreshMode } from '../engine/snapshot/read-list.ts';

/** `--refresh` for the commands that read lists (plan, apply, watch). */
export const REFRESH_OPTION = { refresh: { type: 'string' } } as const satisfies ParseArgsConfig['options'];

export const REFRESH_HELP = `      --refresh MODE      how lists are read: auto (default: through the local snapshot when it is fresh),
                          full (read every member and rewrite the snapshot), off (every member, no snapshot)`;

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

export const COMMON_HELP = `  -c, --config PATH       the config file (default: ./acsync.yaml)
      --export NAME       only this export (repeatable); default: every enabled export
      --json              one JSON event per line on stdout (see cli/report/JSON-EVENTS.md)
      --full              list every change (long lists are cut to the first 20 per kind)
      --no-color          no colour (also when NO_COLOR is set)
      --mask-emails       show a***@contoso.example in human output (default when CI=true)
      --no-mask-emails    show emails in full
  -h, --help              this help`;

export interface CommonFlags {
  config: string;
  exports: string[];
  json: boolean;
  color: boolean;
  full: boolean;
  maskEmails: boolean;
}

export class UsageError extends Error {}

/** Parses argv with the common options plus the command's own; unknown flags are a UsageError. */
export function parseCommand<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], extra: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...extra }, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

export function commonFlags(values: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): CommonFlags {
  const noColor = values['no-color'] === true || (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '');
  const ci = env['CI'] !== undefined && env['CI'] !== '' && env['CI'] !== '0' && env['CI'] !== 'false';
  let maskEmails = ci;
  if (values['mask-emails'] === true) maskEmails = true;
  if (values['no-mask-emails'] === true) maskEmails = false;
  return {
    config: typeof values['config'] === 'string' ? values['config'] : 'acsync.yaml',
    exports: Array.isArray(values['export']) ? (values['export'] as string[]) : [],
    json: values['json'] === true,
    color: !noColor,
    full: values['full'] === true,
    maskEmails,
  };
}

/** Loads the config and prints its diagnostics; undefined when it has errors. */
export async function loadOrReport(flags: CommonFlags, env: NodeJS.ProcessEnv = process.env): Promise<Config | undefined> {
  const result = await loadConfig(flags.config);
  if (result.diagnostics.length > 0) {
    if (flags.json) {
      for (const d of result.diagnostics) process.stdout.write(JSON.stringify({ type: 'diagnostic', diagnostic: d }) + '\n');
    } else {
      process.stderr.write(formatDiagnostics(result.diagnostics, { color: flags.color && process.stderr.isTTY === true }) + '\n');
    }
    // With --json, stdout carries only JSON lines; the runner reads workflow commands from stderr too.
    if (env['GITHUB_ACTIONS'] === 'true') emitGithubDiagnostics(result.diagnostics, flags.json ? process.stderr : process.stdout);
  }
  return result.config;
}

export function makeReporter(mode: 'plan' | 'apply', flags: CommonFlags, config: Config | undefined, env: NodeJS.ProcessEnv = process.env): Reporter {
  const kind = chooseReporterKind({ json: flags.json, stderrIsTTY: process.stderr.isTTY === true, env });
  const connectionNames: Record<string, string> = {};
  for (const c of Object.values(config?.connections ?? {})) connectionNames[c.id] = c.displayName;
  return createReporter(kind, {
    mode,
    color: flags.color && (kind === 'ink' || process.stdout.isTTY === true),
    maskEmails: flags.maskEmails,
    full: flags.full,
    stdout: process.stdout,
    stderr: process.stderr,
    env,
    connectionNames,
  });
}

/** Terraform's convention for `plan --detailed-exitcode`: 0 no changes, 1 error, 2 changes pending. */
export function exitCode(result: RunResult, detailed: boolean): number {
  if (!result.ok) return 1;
  if (result.mode === 'plan' && detailed && result.changesPending) return 2;
  return 0;
}

export function usageFailure(command: string, err: unknown): number {
  process.stderr.write(`acsync ${command}: ${err instanceof Error ? err.message : String(err)}\nRun \`acsync ${command} --help\` for the options.\n`);
  return 1;
}

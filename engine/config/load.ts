/**
 * Loading a config file: YAML (keeping positions) -> JSON Schema -> cross-reference rules -> a resolved Config.
 * Every problem comes back as a Diagnostic, all of them in one run; nothing here prints or throws at the user.
 */
import { readFile, stat } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import { firstInvalidUtf8 } from '../segment/bytes.ts';
import { registerSecret } from '../secrets.ts';
import { locateSegmentFile, segmentRoots } from '../segment/locate.ts';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { parseDuration } from './duration.ts';
import type {
  Config,
  ConnectionConfig,
  DatabaseConfig,
  Diagnostic,
  ExportConfig,
  LoadResult,
  MappingConfig,
  OnLeave,
  SourcePos,
  UsableBy,
} from './model.ts';
import { problem, type Problem } from './problem.ts';
import { apiKeyEnvName, ruleProblems } from './rules.ts';
import { schemaProblems } from './schema.ts';
import { SourceIndex } from './source-index.ts';

/** The defaults the schema declares (schemas/acsync.schema.json `default`); a test keeps the two equal. */
export const CONFIG_DEFAULTS = {
  usableBy: 'admins' as UsableBy,
  onLeave: 'keep' as OnLeave,
  enabled: true,
  maxUnsubscribe: 0.1,
  excludeAutomations: false,
  statementTimeout: '5m',
} as const;

export interface LoadOptions {
  /** Folder relative paths are resolved against; also how the file is named in messages. Default: process.cwd(). */
  cwd?: string;
  /**
   * Optional checks of the world around the file, reported as warnings (what `acsync validate` shows):
   * `env` warns about apiKey variables that are not set; `segmentFiles` about segment files that do not exist.
   */
  checks?: { env?: NodeJS.ProcessEnv; segmentFiles?: boolean };
}

const WHOLE_FILE: SourcePos = { line: 0, column: 0 };

/** Reads, validates and resolves a config file. `config` is present when there are no errors (warnings allowed). */
export async function loadConfig(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  const cwd = options.cwd ?? process.cwd();
  const abs = path.resolve(cwd, file);
  const rel = path.relative(cwd, abs);
  const displayFile = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
  const stamp = (list: Problem[]): Diagnostic[] =>
    list
      .map((p) => ({ file: displayFile, ...p }))
      .sort((a, b) => a.line - b.line || a.column - b.column || (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));

  let source: string;
  try {
    const bytes = await readFile(abs);
    // Decoding leniently would turn a bad byte into U+FFFD and carry it into a hostname or a column name.
    if (!isUtf8(bytes)) {
      const at = firstInvalidUtf8(bytes);
      const before = bytes.subarray(0, at);
      const line = before.filter((b) => b === 10).length + 1;
      const column = [...before.subarray(before.lastIndexOf(10) + 1).toString('utf8')].length + 1;
      return {
        diagnostics: stamp([
          problem('error', '', { line, column }, `the file is not valid UTF-8 (byte 0x${bytes[at]!.toString(16).padStart(2, '0')} at line ${line}, column ${column})`, 'save the config as UTF-8 (most editors: "Save with encoding: UTF-8")'),
        ]),
      };
    }
    source = bytes.toString('utf8');
  } catch (e) {
    return { diagnostics: stamp([readProblem(e)]) };
  }

  const lines = new LineCounter();
  // prettyErrors off: pretty messages quote the source line, which could hold a secret.
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const index = new SourceIndex(doc, lines);
  const problems: Problem[] = index.duplicates.map((d) =>
    problem('error', d.path, d.pos, `duplicate key '${d.path.split('.').pop() ?? d.path}' (first defined at line ${d.firstLine})`, 'YAML keeps only the last one, silently: remove or rename one of them'),
  );
  const syntax = doc.errors.filter((e) => e.code !== 'DUPLICATE_KEY');
  for (const e of syntax) {
    const { line, col } = lines.linePos(e.pos[0]);
    problems.push(problem('error', '', { line, column: col }, `YAML syntax: ${e.message.split('\n')[0] ?? e.code}`, yamlHint(e.code)));
  }
  // After a syntax error the document is a guess: schema errors on it would mostly be noise.
  if (syntax.length > 0) return { diagnostics: stamp(problems) };

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    problems.push(problem('error', '', WHOLE_FILE, `YAML: ${e instanceof Error ? e.message : String(e)}`));
    return { diagnostics: stamp(problems) };
  }
  if (data === null || data === undefined) {
    problems.push(problem('error', '', { line: 1, column: 1 }, 'the config file is empty', 'run `acsync init` in an empty folder for a working example'));
    return { diagnostics: stamp(problems) };
  }

  problems.push(...schemaProblems(data, index), ...ruleProblems(data, index));
  if (options.checks?.env) problems.push(...envProblems(data, index, options.checks.env));
  if (options.checks?.segmentFiles) problems.push(...(await segmentProblems(data, index, abs, options.checks.env ?? process.env)));

  const diagnostics = stamp(problems);
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return { config: build(data as RawConfig, abs, displayFile, index), diagnostics };
}

/** The API key of a connection from the environment, or an error naming the variable (never a value). */
export function resolveApiKey(connection: ConnectionConfig, env: NodeJS.ProcessEnv): { key: string } | { error: string; hint: string } {
  const name = connection.apiKeyEnv;
  const value = env[name]?.trim();
  if (value === undefined || value === '') {
    return {
      error: `environment variable ${name} is not set: connection '${connection.id}' needs it for its API key`,
      hint: `set ${name} to the API key of ${connection.hostname} (ActiveCampaign: Settings > Developer), e.g. export ${name}=...`,
    };
  }
  // From here on nothing acsync writes may show it, in any encoding (engine/secrets.ts).
  registerSecret(value);
  return { key: value };
}

function readProblem(e: unknown): Problem {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return problem('error', '', WHOLE_FILE, 'config file not found', 'run `acsync init` to create one, or pass -c PATH to name another file');
  if (code === 'EISDIR') return problem('error', '', WHOLE_FILE, 'this is a folder, not a config file', 'pass -c PATH/acsync.yaml');
  if (code === 'EACCES' || code === 'EPERM') return problem('error', '', WHOLE_FILE, 'cannot read the config file: permission denied', 'check the file\'s permissions');
  return problem('error', '', WHOLE_FILE, `cannot read the config file (${code ?? 'unknown error'})`);
}

function yamlHint(code: string): string | undefined {
  if (code === 'MULTIPLE_DOCS') return 'acsync reads one document per file: remove the `---` separator';
  if (code === 'BAD_INDENT' || code === 'BLOCK_AS_IMPLICIT_KEY' || code === 'MULTILINE_IMPLICIT_KEY') return 'check the indentation of this line and the one above (spaces, not tabs)';
  if (code === 'TAB_AS_INDENT') return 'YAML indentation uses spaces, not tabs';
  return undefined;
}

function envProblems(data: unknown, index: SourceIndex, env: NodeJS.ProcessEnv): Problem[] {
  const out: Problem[] = [];
  for (const [id, c] of Object.entries(recordOf(recordOf(data).connections))) {
    const name = apiKeyEnvName(recordOf(c).apiKey);
    if (name === undefined || (env[name] ?? '').trim() !== '') continue;
    const at = `connections.${id}.apiKey`;
    out.push(problem('warning', at, index.at(at), `environment variable ${name} is not set: plan and apply will need it`, `export ${name}=<the ActiveCampaign API key>`));
  }
  for (const [id, d] of Object.entries(recordOf(recordOf(data).databases))) {
    const name = apiKeyEnvName(recordOf(d).url);
    if (name === undefined || (env[name] ?? '').trim() !== '') continue;
    const at = `databases.${id}.url`;
    out.push(problem('warning', at, index.at(at), `environment variable ${name} is not set: plan and apply will need it for database '${id}'`, `export ${name}=postgres://user:password@host:5432/dbname`));
  }
  return out;
}

async function segmentProblems(data: unknown, index: SourceIndex, configFile: string, env: NodeJS.ProcessEnv): Promise<Problem[]> {
  const out: Problem[] = [];
  const folder = path.dirname(configFile);
  const roots = segmentRoots(configFile, env);
  for (const [name, e] of Object.entries(recordOf(recordOf(data).exports))) {
    const segment = recordOf(e).segment;
    // Globs are expanded when the segment is read; queries are checked by validate --connect.
    if (typeof segment !== 'string' || segment === '' || /[*?[]/.test(segment)) continue;
    const at = `exports.${name}.segment`;
    // A glob is checked file by file when it is read; a CDM metadata file may name its entity (model.json#Entity).
    if (/[*?[]/.test(segment)) continue;
    const located = await locateSegmentFile(path.resolve(folder, segment.replace(/#[^/\\]*$/, '')), roots);
    if (!('problem' in located)) continue;
    // A file not there yet may be written by a pipeline before plan runs (PR checks often have no data): a
    // warning. A path outside the config's folder, or something that is neither a regular file nor a folder of
    // partitions, is an error.
    const { kind, message, hint } = located.problem;
    if (kind === 'missing') out.push(problem('warning', at, index.at(at), `segment file ${segment} does not exist`, 'plan and apply read it: create it, or fix the path (it is relative to the config file)'));
    else if (kind === 'not-regular' && message.startsWith('is a directory')) continue;
    else out.push(problem('error', at, index.at(at), `segment ${segment}: ${message}`, hint));
  }
  return out;
}

function recordOf(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** The shape the schema guarantees once it has passed (optional fields may be absent); test/config/schema-types.test.ts holds it to schemas/acsync.schema.json. */
export interface RawConfig {
  version: 1;
  roles: { admins: string[]; contributors?: string[] };
  connections: Record<string, Omit<ConnectionConfig, 'id' | 'apiKeyEnv' | 'usableBy' | 'dataPrivacyConsent'> & {
    apiKey: string;
    usableBy?: UsableBy;
    dataPrivacyConsent?: boolean;
  }>;
  databases?: Record<string, { type: 'postgres' | 'duckdb'; url?: string; path?: string; statementTimeout?: string }>;
  exports: Record<string, {
    connection: string;
    owner: string;
    segment: string | { query: string; database?: string };
    poll?: string;
    listId: number | string;
    mapping: Omit<MappingConfig, 'fields' | 'sensitive'> & { fields?: Record<string, string | { column: string; sensitive?: boolean }> };
    onLeave?: OnLeave;
    schedule?: string;
    timezone?: string;
    enabled?: boolean;
    maxUnsubscribe?: number;
    tags?: string[];
    excludeAutomations?: boolean;
    lookupLimit?: number;
  }>;
}

/** `TAG: Column` (short form) or `TAG: {column, sensitive}`, as column by tag and the sensitive tags. */
function mappedFields(raw: Record<string, string | { column: string; sensitive?: boolean }>): Pick<MappingConfig, 'fields' | 'sensitive'> {
  const fields: Record<string, string> = {};
  const sensitive: string[] = [];
  for (const [tag, entry] of Object.entries(raw)) {
    fields[tag] = typeof entry === 'string' ? entry : entry.column;
    if (typeof entry !== 'string' && entry.sensitive === true) sensitive.push(tag);
  }
  return sensitive.length > 0 ? { fields, sensitive } : { fields };
}

function build(raw: RawConfig, file: string, displayFile: string, index: SourceIndex): Config {
  const connections: Record<string, ConnectionConfig> = {};
  for (const [id, c] of Object.entries(raw.connections)) {
    connections[id] = {
      id,
      type: c.type,
      displayName: c.displayName,
      hostname: c.hostname.trim(),
      apiKeyEnv: apiKeyEnvName(c.apiKey) ?? '',
      usableBy: c.usableBy ?? CONFIG_DEFAULTS.usableBy,
      dataPrivacyConsent: c.dataPrivacyConsent === true,
      exportUser: c.exportUser,
      ...(c.contactLimit !== undefined ? { contactLimit: c.contactLimit } : {}),
    };
  }
  const folder = path.dirname(file);
  const databases: Record<string, DatabaseConfig> = {};
  for (const [id, d] of Object.entries(raw.databases ?? {})) {
    const urlEnv = apiKeyEnvName(d.url);
    databases[id] = {
      id,
      type: d.type,
      ...(urlEnv !== undefined ? { urlEnv } : {}),
      ...(d.path !== undefined ? { path: path.resolve(folder, d.path) } : {}),
      statementTimeoutMs: parseDuration(d.statementTimeout ?? CONFIG_DEFAULTS.statementTimeout)!,
    };
  }
  const exports: Record<string, ExportConfig> = {};
  for (const [name, e] of Object.entries(raw.exports)) {
    const m = e.mapping;
    const seg = e.segment;
    const pollMs = e.poll !== undefined ? parseDuration(e.poll) : undefined;
    exports[name] = {
      name,
      connection: e.connection,
      owner: e.owner,
      // A query is labelled by where it runs; the query itself is in segmentQuery (and in the plan's source).
      segment: typeof seg === 'string' ? seg : seg.database !== undefined ? `query on ${seg.database}` : 'query (duckdb)',
      segmentPath: typeof seg === 'string' ? path.resolve(folder, seg) : folder,
      ...(typeof seg !== 'string' ? { segmentQuery: { query: seg.query, ...(seg.database !== undefined ? { database: seg.database } : {}) } } : {}),
      ...(pollMs !== undefined ? { pollMs } : {}),
      listId: String(e.listId),
      mapping: {
        email: m.email,
        ...(m.firstName !== undefined ? { firstName: m.firstName } : {}),
        ...(m.lastName !== undefined ? { lastName: m.lastName } : {}),
        ...(m.phone !== undefined ? { phone: m.phone } : {}),
        ...mappedFields(m.fields ?? {}),
      },
      onLeave: e.onLeave ?? CONFIG_DEFAULTS.onLeave,
      ...(e.schedule !== undefined ? { schedule: e.schedule } : {}),
      ...(e.timezone !== undefined ? { timezone: e.timezone } : {}),
      enabled: e.enabled ?? CONFIG_DEFAULTS.enabled,
      maxUnsubscribe: e.maxUnsubscribe ?? CONFIG_DEFAULTS.maxUnsubscribe,
      tags: [...(e.tags ?? [])],
      excludeAutomations: e.excludeAutomations ?? CONFIG_DEFAULTS.excludeAutomations,
      ...(e.lookupLimit !== undefined ? { lookupLimit: e.lookupLimit } : {}),
    };
  }
  return {
    file,
    displayFile,
    version: 1,
    roles: { admins: [...raw.roles.admins], contributors: [...(raw.roles.contributors ?? [])] },
    connections,
    ...(Object.keys(databases).length > 0 ? { databases } : {}),
    exports,
    locations: index.all(),
  };
}

/**
 * Cross-reference rules: what the JSON Schema cannot say (who may use which connection, consent, one list per
 * export...). They run on the raw parsed data even when the schema found errors, so a user sees every problem
 * in one run; each rule therefore checks the shapes it relies on and stays quiet about what the schema reports.
 */
import { Cron } from 'croner';
import { hostnameProblem } from './hostname.ts';
import { problem, type Problem } from './problem.ts';
import { mayUseConnection, personKey, roleOf as roleOfPerson, type Role, type Roles } from './roles.ts';
import { closest } from './schema.ts';
import { childPath, type SourceIndex } from './source-index.ts';

/** The only config format version this acsync reads. */
export const CONFIG_VERSION = 1;

const ENV_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const BARE_ENV_REF = /^\$([A-Za-z_][A-Za-z0-9_]*)$/;
const LOOKS_LIKE_EMAIL = /^[^@\s]+@[^@\s]+$/;

type Rec = Record<string, unknown>;

function isRec(v: unknown): v is Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function entries(v: unknown): Array<[string, Rec]> {
  return isRec(v) ? Object.entries(v).filter((e): e is [string, Rec] => isRec(e[1])) : [];
}

/** The environment variable named by an `apiKey: ${NAME}` value, or undefined for anything else. */
export function apiKeyEnvName(value: unknown): string | undefined {
  return typeof value === 'string' ? ENV_REF.exec(value)?.[1] : undefined;
}

/** Whether a string is a valid IANA time zone for this runtime. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** What `acsync init` writes where a real hostname and real people belong (cli/commands/init.ts). */
export const PLACEHOLDER_HOST_PREFIX = 'your-account.';
export const PLACEHOLDER_EMAIL_DOMAIN = '@example.com';

function isPlaceholderEmail(email: string): boolean {
  return email.trim().toLowerCase().endsWith(PLACEHOLDER_EMAIL_DOMAIN);
}

export function ruleProblems(data: unknown, index: SourceIndex): Problem[] {
  const out: Problem[] = [];
  const err = (path: string, message: string, hint?: string): void => {
    out.push(problem('error', path, index.at(path), message, hint));
  };
  const warn = (path: string, message: string, hint?: string): void => {
    out.push(problem('warning', path, index.at(path), message, hint));
  };
  if (!isRec(data)) return out;

  if (data.version !== undefined && data.version !== CONFIG_VERSION) {
    err('version', `unsupported config version ${JSON.stringify(data.version)}: this acsync reads version ${CONFIG_VERSION}`, `set version: ${CONFIG_VERSION}`);
  }

  // People are compared case-insensitively: email addresses are, for every practical purpose.
  const admins = new Set<string>();
  const contributors = new Set<string>();
  const roles = isRec(data.roles) ? data.roles : {};
  for (const [list, set] of [['admins', admins], ['contributors', contributors]] as const) {
    const people = roles[list];
    if (!Array.isArray(people)) continue;
    people.forEach((p, i) => {
      if (typeof p !== 'string') return;
      if (isPlaceholderEmail(p)) warn(`roles.${list}.${i}`, `${p} is the placeholder acsync init writes`, 'replace it with the email of a real person');
      const key = personKey(p);
      if (list === 'contributors' && admins.has(key)) {
        warn(`roles.contributors.${i}`, `${p} is also an admin`, 'admins can do everything contributors can: remove them from contributors');
      }
      set.add(key);
    });
  }
  const known: Roles = { admins: [...admins], contributors: [...contributors] };
  const roleOf = (email: string): Role | undefined => roleOfPerson(known, email);

  const connections = new Map(entries(data.connections));
  for (const [id, c] of connections) {
    const at = `connections.${id}`;
    if (typeof c.hostname === 'string') {
      const trouble = hostnameProblem(c.hostname);
      if (trouble) err(`${at}.hostname`, trouble.message, trouble.hint);
      else if (c.hostname.trim().toLowerCase().startsWith(PLACEHOLDER_HOST_PREFIX)) {
        warn(`${at}.hostname`, `${c.hostname} is the placeholder acsync init writes`, "use your account's API hostname from ActiveCampaign's Settings > Developer (e.g. contoso.api-us1.com)");
      }
    }
    if (c.apiKey !== undefined) {
      const trouble = apiKeyProblem(c.apiKey);
      if (trouble) err(`${at}.apiKey`, trouble.message, trouble.hint);
    }
    if (typeof c.exportUser === 'string' && LOOKS_LIKE_EMAIL.test(c.exportUser)) {
      const role = roleOf(c.exportUser);
      if (role === 'contributor') {
        err(`${at}.exportUser`, `exportUser ${c.exportUser} is a contributor, but exports run as an administrator`, 'choose someone listed in roles.admins, or move this person to roles.admins');
      } else if (role === undefined) {
        err(`${at}.exportUser`, `exportUser ${c.exportUser} is not listed in roles.admins`, 'exports run under an administrator\'s identity: add this person to roles.admins or choose an admin');
      }
    }
    if (c.dataPrivacyConsent === false || c.dataPrivacyConsent === undefined) {
      err(
        c.dataPrivacyConsent === undefined ? at : `${at}.dataPrivacyConsent`,
        `connection '${id}' has no data privacy consent: no export may send data through it`,
        'an administrator must agree that profile data, possibly sensitive, leaves for ActiveCampaign (the customer is responsible for its compliance), then set dataPrivacyConsent: true',
      );
    }
  }

  const databases = new Map(entries(data.databases));
  for (const [id, d] of databases) {
    const at = `databases.${id}`;
    if (d.url !== undefined) {
      const trouble = envRefProblem(d.url, 'url', 'WAREHOUSE_URL', 'a literal URL is not allowed in the config file (it holds the password)', 'if this URL was ever committed, change the database password');
      if (trouble) err(`${at}.url`, trouble.message, trouble.hint);
    }
    if (d.type === 'postgres' && d.url === undefined) {
      err(at, `database '${id}' (type postgres) has no url`, 'write url: ${WAREHOUSE_URL} and set that environment variable to postgres://user:password@host:5432/dbname');
    }
    if (d.type === 'postgres' && d.path !== undefined) err(`${at}.path`, 'path is for type duckdb', 'a postgres database is reached through url: ${NAME}');
    if (d.type === 'duckdb' && d.url !== undefined) err(`${at}.url`, 'url is for type postgres', 'a duckdb database is a file: write path: warehouse.duckdb (relative to this config file), or leave it out for an in-memory database');
  }

  const listWriters = new Map<string, { name: string; line: number }>();
  for (const [name, e] of entries(data.exports)) {
    const at = `exports.${name}`;
    const connId = typeof e.connection === 'string' ? e.connection : undefined;
    const conn = connId === undefined ? undefined : connections.get(connId);
    if (connId !== undefined && conn === undefined && !(isRec(data.connections) && connId in data.connections)) {
      const known = [...connections.keys()];
      const guess = closest(connId, known);
      err(
        `${at}.connection`,
        `unknown connection '${connId}'`,
        guess !== undefined ? `did you mean '${guess}'?` : known.length > 0 ? `defined connections: ${known.join(', ')}` : 'define it under connections:',
      );
    }
    if (conn !== undefined && conn.dataPrivacyConsent !== true) {
      const line = index.at(`connections.${connId}`).line;
      err(`${at}.connection`, `export '${name}' may not send data: connection '${connId}' has no data privacy consent`, `set dataPrivacyConsent: true on connection '${connId}' (line ${line}) once an administrator agrees`);
    }

    if (typeof e.owner === 'string' && LOOKS_LIKE_EMAIL.test(e.owner)) {
      const role = roleOf(e.owner);
      if (role === undefined) {
        err(`${at}.owner`, `owner ${e.owner} is not listed in roles`, 'add this person to roles.admins or roles.contributors');
      } else if (conn !== undefined && !mayUseConnection(role, conn.usableBy === 'admins-and-contributors' ? 'admins-and-contributors' : 'admins')) {
        err(
          `${at}.owner`,
          `owner ${e.owner} is a contributor, but connection '${connId}' is usable by admins only`,
          `make an admin the owner, or set usableBy: admins-and-contributors on connection '${connId}'`,
        );
      }
    }

    if (typeof e.segment === 'string' && e.segment.trim() !== '') {
      const trouble = segmentPathProblem(e.segment);
      if (trouble) err(`${at}.segment`, trouble, 'name a .csv, .ndjson, .jsonl, .json or .parquet file (optionally .gz for CSV and NDJSON), a glob such as lake/vip/*.parquet, or a folder');
    } else if (isRec(e.segment)) {
      const db = e.segment.database;
      if (typeof db === 'string' && !databases.has(db) && !(isRec(data.databases) && db in data.databases)) {
        const known = [...databases.keys()];
        const guess = closest(db, known);
        err(
          `${at}.segment.database`,
          `unknown database '${db}'`,
          guess !== undefined ? `did you mean '${guess}'?` : known.length > 0 ? `defined databases: ${known.join(', ')}` : 'define it under databases: (or leave database out to run the query in the embedded DuckDB)',
        );
      }
    }
    if (e.poll !== undefined && !(isRec(e.segment) && typeof e.segment.database === 'string')) {
      warn(`${at}.poll`, 'poll only applies to a query on a database', 'watch re-reads file segments (and embedded DuckDB queries over files) when the files change: remove poll');
    }

    const tz = typeof e.timezone === 'string' ? e.timezone : undefined;
    const tzValid = tz !== undefined && isTimeZone(tz);
    if (tz !== undefined && !tzValid) {
      err(`${at}.timezone`, `unknown time zone '${tz}'`, 'use an IANA time zone name, such as Europe/Paris, America/New_York or UTC');
    }
    if (typeof e.schedule === 'string') {
      const trouble = cronProblem(e.schedule, tzValid ? tz : undefined);
      if (trouble) err(`${at}.schedule`, `invalid cron schedule: ${trouble}`, 'five fields: minute hour day-of-month month day-of-week; e.g. "0 2 * * *" runs every day at 02:00');
    } else if (tz !== undefined && e.schedule === undefined) {
      warn(`${at}.timezone`, 'timezone has no effect without a schedule', 'add a schedule, or remove timezone');
    }

    const listId = normaliseListId(e.listId);
    if (connId !== undefined && listId !== undefined && e.enabled !== false) {
      const key = `${connId}\u0000${listId}`;
      const first = listWriters.get(key);
      if (first !== undefined) {
        err(
          `${at}.listId`,
          `list ${listId} on connection '${connId}' is already written by export '${first.name}' (line ${first.line})`,
          'two exports on one list would undo each other\'s changes: merge their segments into one export, or use another list',
        );
      } else {
        listWriters.set(key, { name, line: index.at(`${at}.listId`).line });
      }
    }
  }
  return out;
}

function normaliseListId(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1) return String(v);
  if (typeof v === 'string' && /^[1-9][0-9]*$/.test(v)) return v;
  return undefined;
}

/** Segment file names acsync reads, by their (lower-cased) ending. */
export const SEGMENT_EXTENSIONS = ['.csv', '.ndjson', '.jsonl', '.json', '.parquet', '.csv.gz', '.ndjson.gz', '.jsonl.gz'] as const;

/** Why a `segment:` path cannot be a segment, or undefined: a file or glob needs a known ending; no ending is a folder. */
export function segmentPathProblem(segment: string): string | undefined {
  // A CDM metadata file may name its entity: lake/ci-export/model.json#VipCustomers.
  const base = (segment.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? '').replace(/^(model\.json|.*\.manifest\.cdm\.json)#.*$/i, '$1');
  const lower = base.toLowerCase();
  if (SEGMENT_EXTENSIONS.some((x) => lower.endsWith(x))) return undefined;
  // A folder (no dot in its last part, or a glob that matches folders) is read as a partitioned or CDM folder.
  if (!lower.includes('.') && !/[*?[]/.test(lower)) return undefined;
  return `acsync cannot read '${base}' as a segment: unknown file type`;
}

/** Never repeats the value: if it is a literal key, it is a secret. */
function apiKeyProblem(v: unknown): { message: string; hint: string } | undefined {
  return envRefProblem(v, 'apiKey', 'AC_API_KEY', 'a literal API key is not allowed in the config file', 'if this key was ever committed, rotate it in ActiveCampaign (Settings > Developer)');
}

/** A setting that must be exactly one `${NAME}` reference; never repeats the value (it could be a secret). */
function envRefProblem(v: unknown, field: string, example: string, why: string, rotate: string): { message: string; hint: string } | undefined {
  if (apiKeyEnvName(v) !== undefined) return undefined;
  const ref = `${field}: \${${example}}`;
  if (v === null || (typeof v === 'string' && v.trim() === '')) return { message: `${field} is empty`, hint: `write ${ref} and set that environment variable` };
  const bare = typeof v === 'string' ? BARE_ENV_REF.exec(v.trim())?.[1] : undefined;
  if (bare !== undefined) return { message: `${field} must use braces around the variable name`, hint: `write ${field}: \${${bare}}` };
  if (typeof v === 'string' && v.includes('${')) {
    return { message: `${field} must be exactly one environment variable reference, with nothing around it`, hint: `write ${ref} and put the whole value in that variable` };
  }
  return {
    message: `${field} must reference an environment variable: ${why}`,
    hint: `put it in an environment variable and write ${ref}; ${rotate}`,
  };
}

function cronProblem(expr: string, timezone: string | undefined): string | undefined {
  try {
    const job = new Cron(expr, { paused: true, ...(timezone !== undefined ? { timezone } : {}) });
    job.stop();
    return undefined;
  } catch (e) {
    return (e instanceof Error ? e.message : String(e)).replace(/^Cron\w*:\s*/, '');
  }
}

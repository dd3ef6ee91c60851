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

/** Never repeats the value: if it is a literal key, it is a secret. */
function apiKeyProblem(v: unknown): { message: string; hint: string } | undefined {
  if (apiKeyEnvName(v) !== undefined) return undefined;
  if (v === null || (typeof v === 'string' && v.trim() === '')) return { message: 'apiKey is empty', hint: 'write apiKey: ${AC_API_KEY} and set that environment variable to the key' };
  const bare = typeof v === 'string' ? BARE_ENV_REF.exec(v.trim())?.[1] : undefined;
  if (bare !== undefined) return { message: 'apiKey must use braces around the variable name', hint: `write apiKey: \${${bare}}` };
  if (typeof v === 'string' && v.includes('${')) {
    return { message: 'apiKey must be exactly one environment variable reference, with nothing around it', hint: 'write apiKey: ${AC_API_KEY} and put the whole key in that variable' };
  }
  return {
    message: 'apiKey must reference an environment variable: a literal API key is not allowed in the config file',
    hint: 'put the key in an environment variable and write apiKey: ${AC_API_KEY}; if this key was ever committed, rotate it in ActiveCampaign (Settings > Developer)',
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

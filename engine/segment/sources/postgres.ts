/**
 * PostgreSQL through pg, streamed with `COPY (query) TO STDOUT` (read off pg's connection: postgres-copy.ts): the
 * server sends the mapped columns as text rows and acsync splits them itself, without pg's row parser (a Buffer and a string per cell,
 * most of the garbage of a million-row read: BENCHMARKS.md), so the result is never in memory at once.
 * Warehouses speaking its protocol (Redshift, Aurora, CockroachDB, Materialize) use this module too; one that
 * refuses COPY (Redshift has no COPY TO STDOUT) is read with a server-side cursor instead (pg-cursor, 2,000 rows a
 * round trip). Only PostgreSQL itself is tested. The URL comes from the environment and is scrubbed, with its
 * password, from every message.
 */
import { createHash, type Hash } from 'node:crypto';
import type * as Pg from 'pg';
import type CursorClass from 'pg-cursor';
import { compilePicker } from '../csv.ts';
import { SegmentError } from '../errors.ts';
import type { SegmentRecord } from '../record.ts';
import { loadDriver } from './driver.ts';
import { RowHasher, shortHash } from './fingerprint.ts';
import { redact, urlHost, urlSecrets } from './redact.ts';
import type { SegmentOrigin, SegmentSource } from '../source.ts';
import { recordsOf, TextRows, type RowSpans, type SegmentBatch, type TextFormat } from '../text-rows.ts';
import { CopyOut } from './postgres-copy.ts';
import { isoTimestamp } from './values.ts';
import { missingColumnsError, type SourceSite } from './where.ts';

export const PG_PACKAGE_VERSION = '^8.23.1';
/** Rows per cursor read: one round trip each; 2,000 rows of a few columns is a few hundred KB. */
const CURSOR_ROWS = 2000;
/** How long connecting may take before acsync gives up (a firewall that drops packets otherwise hangs for minutes). */
const CONNECT_TIMEOUT_MS = 10_000;

/** PostgreSQL type oids whose text acsync rewrites (pg_type.dat): everything else stays the server's text. */
const OID = { bool: 16, timestamp: 1114, timestamptz: 1184 } as const;

const asBoolean = (t: string): string => (t === 't' ? 'true' : t === 'f' ? 'false' : t);

/** The rewrite of a type's text, or undefined when the server's text is kept as it is. */
function textRewrite(oid: number): ((text: string) => string) | undefined {
  if (oid === OID.bool) return asBoolean;
  if (oid === OID.timestamp || oid === OID.timestamptz) return isoTimestamp;
  return undefined;
}

const keep = (t: string): string => t;

/** Every value as PostgreSQL prints it (exact numerics, ISO dates), except booleans and timestamps (see values.ts). */
const TEXT_TYPES = {
  getTypeParser(oid: number): (text: string) => string {
    return textRewrite(oid) ?? keep;
  },
};

/** Thrown inside the COPY read when the server refused COPY before sending any row: the cursor reads instead. */
class CopyRefused extends Error {}

/** SQLSTATEs of a server that does not do `COPY (query) TO STDOUT` (the query itself was prepared fine before). */
const COPY_UNSUPPORTED = new Set(['0A000', '42601']);

export interface PostgresSourceOptions {
  label: string;
  site: SourceSite;
  query: string;
  database: string;
  /** The variable the URL is read from, and its value. */
  urlEnv: string;
  url: string;
  statementTimeoutMs: number;
}

interface Drivers {
  pg: typeof Pg;
  Cursor: typeof CursorClass;
}

/**
 * A connection's loss, raced by every read (see #connect). Not Promise.race with one promise that stays pending
 * as long as the connection: each race leaves a reaction on it that holds the race's own promise, and so its
 * value (a batch of rows), until the connection ends: the whole result would stay in memory. A read that settles
 * here takes its reaction away.
 */
class ConnectionLoss {
  #error: unknown;
  #lost = false;
  readonly #waiting = new Set<(err: unknown) => void>();

  fail(err: unknown): void {
    if (this.#lost) return;
    this.#lost = true;
    this.#error = err;
    for (const reject of this.#waiting) reject(err);
    this.#waiting.clear();
  }

  /** Settles as `p` does, or rejects with the loss if it comes first. */
  race<T>(p: Promise<T>): Promise<T> {
    if (this.#lost) {
      p.catch(() => {});
      return Promise.reject(this.#error);
    }
    return new Promise<T>((resolve, reject) => {
      this.#waiting.add(reject);
      p.then(
        (value) => {
          this.#waiting.delete(reject);
          resolve(value);
        },
        (err: unknown) => {
          this.#waiting.delete(reject);
          reject(err);
        },
      );
    });
  }
}

export class PostgresSource implements SegmentSource {
  readonly display: string;
  readonly #o: PostgresSourceOptions;
  readonly #secrets: string[];
  #client: Pg.Client | undefined;
  #lost: ConnectionLoss | undefined;
  #closing = false;
  #hasher: { digest(): string } | undefined;
  #rows = 0;
  #readMs = 0;

  constructor(o: PostgresSourceOptions) {
    this.display = o.label;
    this.#o = o;
    this.#secrets = urlSecrets(o.url);
  }

  async #drivers(): Promise<Drivers> {
    const what = `export '${this.#o.site.exportName}' (database '${this.#o.database}', type postgres)`;
    const pg = await loadDriver<{ default: typeof Pg }>('pg', PG_PACKAGE_VERSION, what, this.#o.site.configFile, this.#o.site.line);
    const cursor = await loadDriver<{ default: typeof CursorClass }>('pg-cursor', '^2.22.1', what, this.#o.site.configFile, this.#o.site.line);
    return { pg: pg.default, Cursor: cursor.default };
  }

  async #connect(): Promise<{ client: Pg.Client; drivers: Drivers }> {
    const drivers = await this.#drivers();
    const { pg } = drivers;
    if (this.#client) return { client: this.#client, drivers };
    const client = new pg.Client({
      connectionString: this.#o.url,
      application_name: 'acsync',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      statement_timeout: this.#o.statementTimeoutMs,
      keepAlive: true,
      types: TEXT_TYPES,
    });
    // A connection the server ends emits 'error' or 'end' on the client, and pg-cursor may then never settle its
    // read: with nothing else pending, node would exit quietly mid-plan. Every read races this instead.
    const lost = new ConnectionLoss();
    this.#lost = lost;
    client.on('error', (err) => lost.fail(err));
    client.on('end', () => {
      if (!this.#closing) lost.fail(Object.assign(new Error('the server ended the connection'), { code: 'ECONNRESET' }));
    });
    try {
      await client.connect();
      // UTC and ISO: timestamps come back comparable across servers and readable by ActiveCampaign.
      await client.query("set timezone = 'UTC'; set datestyle = 'ISO, YMD'; set intervalstyle = 'iso_8601'");
    } catch (err) {
      this.#closing = true;
      await client.end().catch(() => {});
      throw this.#error(err, 'connect');
    }
    this.#client = client;
    return { client, drivers };
  }

  async describe(): Promise<string[]> {
    const { client } = await this.#connect();
    return (await this.#describe(client)).map((f) => f.name);
  }

  /** Connects and describes the query (LIMIT 0: no row is read), before any request to ActiveCampaign. */
  async check(columns: readonly string[]): Promise<void> {
    const names = await this.describe();
    const missing = columns.filter((c) => !names.includes(c));
    if (missing.length > 0) throw missingColumnsError(this.#o.site, missing, names, this.#what);
  }

  get #what(): string {
    return `the query on database '${this.#o.database}'`;
  }

  /** The result's columns without running the query: the planner binds it, LIMIT 0 fetches nothing. */
  async #describe(client: Pg.Client): Promise<Pg.FieldDef[]> {
    const prefix = 'select * from (\n';
    try {
      const r = await this.#lost!.race(client.query({ text: `${prefix}${stripSemicolons(this.#o.query)}\n) as acsync_segment limit 0`, rowMode: 'array' }));
      return r.fields;
    } catch (err) {
      throw this.#error(err, 'describe', prefix.length);
    }
  }

  async *records(columns: readonly string[], signal?: AbortSignal): AsyncGenerator<SegmentRecord[]> {
    for await (const batch of this.rows(columns, signal)) yield recordsOf(batch);
  }

  async *rows(columns: readonly string[], signal?: AbortSignal): AsyncGenerator<SegmentBatch> {
    const started = Date.now();
    this.#rows = 0;
    const { client, drivers } = await this.#connect();
    const fields = await this.#describe(client);
    const names = fields.map((f) => f.name);
    const missing = columns.filter((c) => !names.includes(c));
    if (missing.length > 0) throw missingColumnsError(this.#o.site, missing, names, this.#what);
    const index = columns.map((c) => names.indexOf(c));
    const onAbort = (): void => void client.end().catch(() => {});
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      try {
        yield* this.#copy(client, columns, index, fields);
      } catch (err) {
        if (!(err instanceof CopyRefused)) throw err;
        yield* this.#cursor(client, drivers.Cursor, columns, index);
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#readMs = Date.now() - started;
    }
  }

  /**
   * The mapped columns through COPY's text format: one line a row, tab between columns, \N for NULL, backslash
   * escapes (postgresql.org/docs/current/sql-copy.html, "Text Format"), yielded as the bytes that came
   * (text-rows.ts): the planner decodes only the rows it must. Picked by position (the query may repeat a column
   * name; the first one is the one mapped, as with the cursor). The fingerprint hashes the bytes as they came: the
   * same rows in the same order give the same bytes.
   */
  async *#copy(client: Pg.Client, columns: readonly string[], index: readonly number[], fields: readonly Pg.FieldDef[]): AsyncGenerator<TextRows> {
    const aliases = fields.map((_, i) => `c${i}`);
    const sql = `copy (select ${index.map((i) => aliases[i]).join(', ')} from (\n${stripSemicolons(this.#o.query)}\n) as acsync_segment(${aliases.join(', ')})) to stdout`;
    const hash = createHash('sha256').update(`postgres-copy-messages\u0001${columns.join('\u0000')}\n`);
    this.#hasher = { digest: once(hash) };
    const rewrite = index.map((i) => textRewrite(fields[i]!.dataTypeID));
    const pick = compilePicker(columns, columns.map((_, i) => i));
    const row: Array<string | undefined> = new Array(columns.length);
    const format: TextFormat = {
      columns,
      verbatim: rewrite.every((r) => r === undefined),
      // One string a row, not one a chunk: a value kept by the plan then holds its row alive, not 64 KB.
      decode: (bytes, start, end, line) => {
        splitCopyLine(bytes.toString('utf8', start, end), row, rewrite);
        return { line, values: pick(row as string[]) };
      },
    };
    // Every CopyData message as it came, hashed by CopyOut: the same rows in the same order give the same bytes.
    const copy = new CopyOut(sql, hash);
    client.query(copy as unknown as Pg.Submittable);
    const chunks = copy.rows();
    let seen = false;
    let done = false;
    try {
      for (;;) {
        let next: IteratorResult<RowSpans>;
        try {
          next = await this.#lost!.race(chunks.next());
        } catch (err) {
          const code = (err as { code?: unknown }).code;
          if (!seen && typeof code === 'string' && COPY_UNSUPPORTED.has(code)) {
            // An error ends the COPY on the server: the connection is ready for the cursor.
            done = true;
            throw new CopyRefused();
          }
          throw this.#error(err, 'read');
        }
        if (next.done === true) break;
        seen = true;
        const rows = new TextRows(next.value, this.#rows + 1, format);
        this.#rows += rows.length;
        yield rows;
      }
      done = true;
    } finally {
      // Stopped early (an error downstream, the profile limit): the connection is still in COPY mode, so it is
      // ended rather than reused; the next read connects again.
      if (!done) await this.#drop(client);
    }
  }

  /** The same rows through a server-side cursor, for a server without COPY TO STDOUT. */
  async *#cursor(client: Pg.Client, Cursor: typeof CursorClass, columns: readonly string[], index: readonly number[]): AsyncGenerator<SegmentRecord[]> {
    const hasher = new RowHasher('postgres', columns);
    this.#hasher = hasher;
    const cursor = client.query(new Cursor(stripSemicolons(this.#o.query), [], { rowMode: 'array', types: TEXT_TYPES }));
    try {
      for (;;) {
        let rows: unknown[][];
        try {
          rows = (await this.#lost!.race(cursor.read(CURSOR_ROWS))) as unknown[][];
        } catch (err) {
          throw this.#error(err, 'read');
        }
        if (rows.length === 0) break;
        const batch: SegmentRecord[] = new Array(rows.length);
        for (let r = 0; r < rows.length; r++) {
          const row = rows[r]!;
          const values: Record<string, string | undefined> = {};
          for (let c = 0; c < columns.length; c++) {
            const v = row[index[c]!];
            // NULL is no value, never the text "null".
            values[columns[c]!] = v === null || v === undefined ? undefined : String(v);
          }
          batch[r] = { line: ++this.#rows, values };
        }
        hasher.add(batch, columns);
        yield batch;
      }
    } finally {
      await this.#lost!.race(cursor.close()).catch(() => {});
    }
  }

  async #drop(client: Pg.Client): Promise<void> {
    if (this.#client !== client) return;
    this.#client = undefined;
    this.#closing = true;
    await client.end().catch(() => {});
    this.#closing = false;
  }

  fingerprint(): string {
    return this.#hasher?.digest() ?? '';
  }

  origin(): SegmentOrigin {
    return { engine: 'postgres', queryHash: shortHash(this.#o.query), database: this.#o.database, rowsRead: this.#rows, readMs: this.#readMs };
  }

  async close(): Promise<void> {
    const c = this.#client;
    this.#client = undefined;
    this.#closing = true;
    await c?.end().catch(() => {});
  }

  /** A driver error as a SegmentError that says what to do; never with the URL or the password. */
  #error(err: unknown, phase: 'connect' | 'describe' | 'read', offset = 0): SegmentError {
    const e = (err ?? {}) as Error & { code?: string; position?: string; severity?: string };
    const site = this.#o.site;
    const db = `database '${this.#o.database}'`;
    const host = urlHost(this.#o.url);
    const env = `$${this.#o.urlEnv}`;
    const raw = redact(e.message ?? String(err), this.#secrets);
    const at = { file: site.configFile, ...(site.line !== undefined ? { line: site.line } : {}) };
    const make = (message: string, hint: string): SegmentError =>
      new SegmentError({ ...at, message: redact(`export '${site.exportName}': ${message}`, this.#secrets), hint: redact(hint, this.#secrets) });
    const code = e.code ?? '';
    if (code === 'ECONNREFUSED') return make(`cannot connect to ${db} at ${host}: connection refused`, `is PostgreSQL running and listening there? check the host and port in ${env}`);
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return make(`cannot connect to ${db}: host ${host} not found`, `check the host name in ${env}`);
    if (code === '28P01' || code === '28000') return make(`${db} refused the login: ${raw}`, `check the user and password in ${env} (and pg_hba.conf on the server)`);
    if (code === '3D000') return make(`${db}: ${raw}`, `check the database name at the end of ${env}`);
    if (code === '57014') {
      const s = Math.round(this.#o.statementTimeoutMs / 1000);
      return make(`the segment query ran longer than the statement timeout (${s}s) and was cancelled by the server`, `make the query cheaper, or raise statementTimeout on database '${this.#o.database}'`);
    }
    if (code.startsWith('42') || code.startsWith('22')) {
      const where = e.position !== undefined ? ` (${queryPosition(this.#o.query, Number(e.position) - offset)})` : '';
      return make(`the segment query failed: ${raw}${where}`, code === '42601' ? 'fix the SQL syntax at the position PostgreSQL names' : 'fix the query: try it in psql first');
    }
    if (phase === 'connect' && /timeout/i.test(raw)) return make(`cannot connect to ${db} at ${host}: no answer within ${CONNECT_TIMEOUT_MS / 1000}s`, `check the host and port in ${env}, and any firewall between here and the database`);
    if (phase === 'read' || code === '57P01' || code === 'ECONNRESET' || /terminated|Connection closed|ended unexpectedly/i.test(raw)) {
      return make(`the connection to ${db} was lost while reading the segment (after ${this.#rows} rows): ${raw}`, 'nothing was sent to ActiveCampaign for this export; run it again once the database is back');
    }
    return make(`${db}: ${raw}`, `check ${env} and the query`);
  }
}

function once(hash: Hash): () => string {
  let digest: string | undefined;
  return () => (digest ??= hash.digest('hex'));
}

/**
 * One line of COPY's text format into `out` (one slot per column): \N is NULL (no value), other backslashes
 * escape (\t \n \r \b \f \v \\), then booleans and timestamps are rewritten as values.ts documents.
 */
export function splitCopyLine(line: string, out: Array<string | undefined>, rewrite: ReadonlyArray<((t: string) => string) | undefined>): void {
  const escaped = line.includes('\\');
  let from = 0;
  for (let c = 0; c < out.length; c++) {
    let to = line.indexOf('\t', from);
    if (to === -1 || c === out.length - 1) to = line.length;
    let v: string | undefined = line.slice(from, to);
    if (escaped && v.includes('\\')) v = v === '\\N' ? undefined : unescapeCopy(v);
    if (v !== undefined) {
      const r = rewrite[c];
      if (r !== undefined) v = r(v);
    }
    out[c] = v;
    from = to + 1;
  }
}

const COPY_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** COPY TO writes only these escapes (and \\ itself): every other byte goes out as it is. */
function unescapeCopy(v: string): string {
  return v.replace(/\\(.)/gs, (_m, e: string) => COPY_ESCAPES[e] ?? e);
}

function stripSemicolons(sql: string): string {
  return sql.replace(/[\s;]+$/, '');
}

/** "line L, column C of the query" for a 1-based character position in it. */
function queryPosition(query: string, pos: number): string {
  if (!Number.isFinite(pos) || pos < 1) return 'position unknown';
  const before = query.slice(0, pos - 1);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n') - 1;
  return `line ${line}, column ${column} of the query`;
}

/**
 * The on-disk snapshot of one ActiveCampaign list: what acsync last observed, so that the next plan can read only
 * what changed since. NDJSON, one member per line in ascending id order, between a header and a trailer that
 * carries the member count and a SHA-256 of the member lines: a truncated, edited or half-written file is
 * detected before a single member of it is used. It holds customer data (emails, names), never the API key.
 *
 *   {"format":"acsync-list-snapshot","version":1,"hostname":"…","listId":"7","asOf":"…","fullReadAt":"…"}
 *   {"id":"12","email":"…",…}          (an AcListMember, exactly as the client parsed it)
 *   {"end":true,"count":1,"sha256":"…"}
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AcListMember } from '../activecampaign/api.ts';
import { readLines } from '../lines.ts';

export const SNAPSHOT_FORMAT = 'acsync-list-snapshot';
/** Bumped whenever the member shape changes: an older file is then ignored (a full read replaces it). */
export const SNAPSHOT_VERSION = 1;

export interface SnapshotHeader {
  format: typeof SNAPSHOT_FORMAT;
  version: number;
  hostname: string;
  listId: string;
  /** ISO time: every change ActiveCampaign made after this is not in the snapshot (read start minus a margin). */
  asOf: string;
  /** ISO time of the last full read this snapshot descends from. */
  fullReadAt: string;
}

interface Trailer {
  end: true;
  count: number;
  sha256: string;
}

/** `<config dir>/.acsync/cache/<hostname>/list-<id>.ndjson`; the hostname is made safe for any file system. */
export function snapshotPath(cacheDir: string, hostname: string, listId: string): string {
  const host = hostname.trim().toLowerCase().replace(/[^a-z0-9.-]/g, '_');
  return path.join(cacheDir, host, `list-${listId.replace(/[^0-9A-Za-z_-]/g, '_')}.ndjson`);
}

/**
 * The cache sits next to acsync.yaml, inside the Git repository that holds the config: a `.gitignore` of `*` in it
 * keeps customer data out of commits even when the repository's own .gitignore does not mention `.acsync/`
 * (as pytest does for `.pytest_cache/`). An existing file is left as it is.
 */
export async function ignoreInGit(cacheDir: string, why = 'list snapshots hold customer data'): Promise<void> {
  try {
    await writeFile(path.join(cacheDir, '.gitignore'), `# Written by acsync: ${why}; never commit them.\n*\n`, { flag: 'wx', mode: 0o644 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/** The cache folder of a config: next to it, as Terraform keeps `.terraform/`. */
export function cacheDirFor(configFile: string): string {
  return path.join(path.dirname(configFile), '.acsync', 'cache');
}

/**
 * Writes a snapshot to a temporary file; commit() renames it into place, so readers see the old file or the new
 * one, never half of one. Members must be added in ascending id order.
 */
export class SnapshotWriter {
  readonly #file: string;
  readonly #tmp: string;
  readonly #hash = createHash('sha256');
  #out: WriteStream | undefined;
  #count = 0;
  #failed: Error | undefined;
  #pending = '';

  private constructor(file: string) {
    this.#file = file;
    this.#tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  }

  static async open(file: string, header: Omit<SnapshotHeader, 'format' | 'version'>): Promise<SnapshotWriter> {
    // 0700 folders: the snapshots hold customer data.
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await ignoreInGit(path.dirname(path.dirname(file)));
    const w = new SnapshotWriter(file);
    // 0600: the file holds customer data.
    w.#out = createWriteStream(w.#tmp, { mode: 0o600 });
    w.#out.on('error', (err) => {
      w.#failed ??= err;
    });
    const full: SnapshotHeader = { format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION, ...header };
    w.#pending = `${JSON.stringify(full)}\n`;
    return w;
  }

  /** Buffers one member; call drain() now and then (once per page) to write the buffer out. */
  add(member: AcListMember): void {
    const line = `${JSON.stringify(member)}\n`;
    this.#hash.update(line);
    this.#count++;
    this.#pending += line;
  }

  /** Writes the buffer once it holds about 1 MB: one write per member would cost more than the JSON itself. */
  async drain(): Promise<void> {
    if (this.#pending.length > 1 << 20) await this.#flush();
  }

  async #flush(): Promise<void> {
    if (this.#failed !== undefined) throw this.#failed;
    const out = this.#out;
    if (out === undefined || this.#pending === '') return;
    const chunk = this.#pending;
    this.#pending = '';
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }

  async commit(): Promise<void> {
    const trailer: Trailer = { end: true, count: this.#count, sha256: this.#hash.digest('hex') };
    this.#pending += `${JSON.stringify(trailer)}\n`;
    await this.#flush();
    const out = this.#out;
    this.#out = undefined;
    await new Promise<void>((resolve, reject) => out?.end((err?: Error | null) => (err ? reject(err) : resolve())) ?? resolve());
    if (this.#failed !== undefined) throw this.#failed;
    await rename(this.#tmp, this.#file);
  }

  async abort(): Promise<void> {
    const out = this.#out;
    this.#out = undefined;
    if (out !== undefined) await new Promise<void>((resolve) => out.end(() => resolve()));
    await rm(this.#tmp, { force: true });
  }
}

export type VerifiedSnapshot = { header: SnapshotHeader; ids: Float64Array } | { problem: string };

/**
 * Checks a snapshot end to end without parsing its members (header, ascending ids, count and hash against the
 * trailer) and returns its header and member ids. Any problem, including a missing file, is reported, not thrown:
 * the caller falls back to a full read.
 */
export async function verifySnapshot(file: string, expected: { hostname: string; listId: string }): Promise<VerifiedSnapshot> {
  let header: SnapshotHeader | undefined;
  let trailer: Trailer | undefined;
  const hash = createHash('sha256');
  let ids = new Float64Array(1024);
  let count = 0;
  let previous = -1;
  try {
    for await (const lines of lineBatches(file)) {
      // One hash update per chunk: a million small ones cost more than the hashing.
      let members = '';
      for (const line of lines) {
      if (header === undefined) {
        const h = JSON.parse(line) as Partial<SnapshotHeader>;
        if (h.format !== SNAPSHOT_FORMAT) return { problem: 'not an acsync list snapshot' };
        if (h.version !== SNAPSHOT_VERSION) return { problem: `snapshot format version ${String(h.version)}, this acsync reads ${SNAPSHOT_VERSION}` };
        if (h.hostname !== expected.hostname || h.listId !== expected.listId) return { problem: 'snapshot of another account or list' };
        if (typeof h.asOf !== 'string' || Number.isNaN(Date.parse(h.asOf)) || typeof h.fullReadAt !== 'string' || Number.isNaN(Date.parse(h.fullReadAt))) {
          return { problem: 'snapshot header has no valid times' };
        }
        header = h as SnapshotHeader;
        continue;
      }
      if (trailer !== undefined) return { problem: 'data after the snapshot trailer' };
      if (line.startsWith('{"end":')) {
        trailer = JSON.parse(line) as Trailer;
        continue;
      }
      const id = memberIdOf(line);
      if (id === undefined || id <= previous) return { problem: `member ${count + 1} has no id or is out of order` };
      previous = id;
      if (count === ids.length) {
        const grown = new Float64Array(ids.length * 2);
        grown.set(ids);
        ids = grown;
      }
      ids[count++] = id;
      members += `${line}\n`;
      }
      hash.update(members);
    }
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return { problem: code === 'ENOENT' ? 'no snapshot yet' : `unreadable snapshot (${err instanceof SyntaxError ? 'invalid JSON' : String(code ?? 'error')})` };
  }
  if (header === undefined) return { problem: 'empty snapshot file' };
  if (trailer === undefined) return { problem: 'snapshot cut short (no trailer)' };
  if (trailer.count !== count || trailer.sha256 !== hash.digest('hex')) return { problem: 'snapshot does not match its checksum' };
  return { header, ids: ids.subarray(0, count) };
}

/** The numeric id at the start of a member line (`{"id":"123",…`), without parsing the line. */
function memberIdOf(line: string): number | undefined {
  const prefix = '{"id":"';
  if (!line.startsWith(prefix)) return undefined;
  const end = line.indexOf('"', prefix.length);
  const raw = line.slice(prefix.length, end);
  if (end < 0 || !/^\d{1,15}$/.test(raw)) return undefined;
  return Number(raw);
}

/** The members of a snapshot verified just before, in file (id) order, a read chunk at a time. */
export async function* readSnapshotMembers(file: string): AsyncGenerator<AcListMember[]> {
  let first = true;
  for await (const lines of lineBatches(file)) {
    const members: AcListMember[] = [];
    for (const line of lines) {
      if (first) {
        first = false;
        continue;
      }
      if (line.startsWith('{"end":')) break;
      members.push(JSON.parse(line) as AcListMember);
    }
    if (members.length > 0) yield members;
  }
}

/** Read chunk: big enough that a million lines cost a few hundred awaits, not a million (readline's). */
const READ_CHUNK_BYTES = 1 << 20;

/** The file's lines (without their \n), one array per read chunk. */
async function* lineBatches(file: string): AsyncGenerator<string[]> {
  for await (const { lines } of readLines(file, { chunkBytes: READ_CHUNK_BYTES })) yield lines.map((l) => l.toString('utf8'));
}

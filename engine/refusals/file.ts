/**
 * The memory of refusals on disk: `<config dir>/.acsync/refusals/<export>.json`, next to the list snapshots
 * (engine/snapshot/file.ts) and written the same way: to a temporary file renamed into place, mode 0600 in a
 * 0700 folder that ignores itself in Git. A versioned JSON object; an entry holds the key (lower-cased email),
 * a hash of the values sent, the reason, the date and the kind, nothing else, and never the API key.
 *
 *   {"format":"acsync-refusals","version":1,"export":"…","hostname":"…","listId":"7",
 *    "contacts":{"bo@example.com":{"kind":"refused","reason":"…","at":"2026-12-03T10:00:00.000Z","rowHash":"…"}}}
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writePrivateFile } from '../private-file.ts';
import { ignoreInGit } from '../snapshot/file.ts';
import type { RefusalKind, RefusalMemory, RememberedRefusal } from './memory.ts';

export const REFUSALS_FORMAT = 'acsync-refusals';
/** Bumped whenever the entry shape changes: an older file is then ignored (its contacts are planned again). */
export const REFUSALS_VERSION = 1;

const KINDS: ReadonlySet<string> = new Set<RefusalKind>(['refused', 'not-on-list-after-import']);

interface RefusalsFile {
  format: typeof REFUSALS_FORMAT;
  version: number;
  export: string;
  hostname: string;
  listId: string;
  contacts: Record<string, RememberedRefusal>;
}

/** What the memory belongs to: an export writing to one list of one account. */
export interface RefusalsOwner {
  export: string;
  hostname: string;
  listId: string;
}

/** The refusals folder of a config: next to it, beside the snapshot cache. */
export function refusalsDirFor(configFile: string): string {
  return path.join(path.dirname(configFile), '.acsync', 'refusals');
}

/** `<dir>/<export>.json`, the export name made safe for any file system. */
export function refusalsPath(dir: string, exportName: string): string {
  return path.join(dir, `${exportName.replace(/[^0-9A-Za-z_.-]/g, '_')}.json`);
}

export type ReadRefusals = { memory: RefusalMemory; problem?: string };

/**
 * The memory for an export. No file is an empty memory; a file that is not readable, of another version, or of
 * another account or list is ignored with a `problem` to report (its contacts are then planned again: the safe side).
 */
export async function readRefusals(file: string, owner: RefusalsOwner): Promise<ReadRefusals> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { memory: new Map() };
    return { memory: new Map(), problem: `cannot read it (${String((err as NodeJS.ErrnoException).code ?? err)})` };
  }
  let data: Partial<RefusalsFile>;
  try {
    data = JSON.parse(text) as Partial<RefusalsFile>;
  } catch {
    return { memory: new Map(), problem: 'not valid JSON' };
  }
  if (data === null || typeof data !== 'object' || data.format !== REFUSALS_FORMAT) return { memory: new Map(), problem: 'not an acsync refusals file' };
  if (data.version !== REFUSALS_VERSION) return { memory: new Map(), problem: `format version ${String(data.version)}, this acsync reads ${REFUSALS_VERSION}` };
  // Another list or account (the export was pointed elsewhere): those refusals say nothing about this list.
  if (data.hostname !== owner.hostname || data.listId !== owner.listId) return { memory: new Map() };
  const memory = new Map<string, RememberedRefusal>();
  for (const [key, r] of Object.entries(data.contacts ?? {})) {
    if (typeof r !== 'object' || r === null || !KINDS.has(r.kind) || typeof r.reason !== 'string' || typeof r.rowHash !== 'string' || Number.isNaN(Date.parse(r.at))) {
      return { memory: new Map(), problem: `entry '${key}' is not a refusal` };
    }
    memory.set(key, { kind: r.kind, reason: r.reason, at: r.at, rowHash: r.rowHash });
  }
  return { memory };
}

/** Replaces the memory atomically; an empty memory removes the file. */
export async function writeRefusals(file: string, owner: RefusalsOwner, memory: RefusalMemory): Promise<void> {
  if (memory.size === 0) {
    await rm(file, { force: true });
    return;
  }
  const dir = path.dirname(file);
  // 0700 folder, 0600 file: the keys are email addresses.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await ignoreInGit(dir, 'refusals hold email addresses');
  const contacts: Record<string, RememberedRefusal> = {};
  for (const key of [...memory.keys()].sort()) contacts[key] = memory.get(key)!;
  const data: RefusalsFile = { format: REFUSALS_FORMAT, version: REFUSALS_VERSION, ...owner, contacts };
  await writePrivateFile(file, `${JSON.stringify(data, null, 1)}\n`);
}

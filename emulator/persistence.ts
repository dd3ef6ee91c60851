/**
 * Saving and loading the emulator's state. One JSON record per line (a header, then one line per contact),
 * so a million contacts never become one giant string. Written to a temp file beside the target, fsynced,
 * then renamed over it: a killed emulator leaves either the old file or the new one, never half of one.
 */
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Batch } from './bulk-import.ts';
import type { ContactRec, SnapshotHeader, Store } from './store.ts';

export const DATA_FORMAT = 'acsync-emulator/1';

interface FileHeader extends SnapshotHeader {
  format: string;
  batches: Batch[];
}

export async function saveState(file: string, store: Store, batches: Batch[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const out = createWriteStream(tmp, { encoding: 'utf8', flush: true });
  const done = new Promise<void>((resolve, reject) => {
    out.on('error', reject);
    out.on('close', resolve);
  });
  try {
    let first = true;
    for (const rec of store.snapshot()) {
      const line = first ? { format: DATA_FORMAT, ...(rec as SnapshotHeader), batches } : rec;
      first = false;
      if (!out.write(JSON.stringify(line) + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    // flush: true fsyncs before close, so the rename never publishes a file the disk does not hold yet.
    out.end();
    await done;
    await rename(tmp, file);
  } catch (e) {
    out.destroy();
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Loads a saved state into the store; returns the saved batches, or undefined when the file does not exist. */
export async function loadState(file: string, store: Store): Promise<Batch[] | undefined> {
  if (!existsSync(file)) return undefined;
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let header: FileHeader | undefined;
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      throw new Error(`${file}:${n}: not valid JSON. The emulator data file is damaged; delete it to start empty.`);
    }
    if (header === undefined) {
      const h = rec as Partial<FileHeader>;
      if (h.format !== DATA_FORMAT)
        throw new Error(`${file}:1: not an emulator data file (format ${JSON.stringify(h.format)}, expected "${DATA_FORMAT}"). Use another --data path.`);
      header = h as FileHeader;
      store.loadHeader(header);
    } else {
      store.loadContact(rec as ContactRec);
    }
  }
  return header?.batches ?? [];
}

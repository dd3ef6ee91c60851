/** The chokidar adapter on real files: events only after a write settles, files that appear later, set() diffs. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createChokidarWatcher, WRITE_STABLE_MS, type FileEventKind, type FileWatcher } from '../../engine/watch/file-watcher.ts';

let dir: string;
let watcher: FileWatcher | undefined;
let seen: Array<[string, FileEventKind]>;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'acsync-watcher-'));
  seen = [];
});
afterEach(async () => {
  await watcher?.close();
  await rm(dir, { recursive: true, force: true });
});

function open(paths: string[]): FileWatcher {
  watcher = createChokidarWatcher(
    (file, kind) => seen.push([path.basename(file), kind]),
    (err) => {
      throw err;
    },
  );
  watcher.set(paths);
  return watcher;
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out; seen ${JSON.stringify(seen)}`);
    await wait(10);
  }
}

describe('chokidar file watcher', () => {
  it('reports a change only once the write has settled, and a file that appears later as add', async () => {
    const a = path.join(dir, 'a.csv');
    const later = path.join(dir, 'later.csv');
    await writeFile(a, 'Email\n');
    const w = open([a, later]);
    await w.ready();
    // A write in chunks, closer together than WRITE_STABLE_MS: one event at the end, not one per chunk.
    const started = Date.now();
    for (let i = 0; i < 4; i++) {
      await writeFile(a, `Email\n${'x@contoso.example\n'.repeat(i + 1)}`);
      await wait(WRITE_STABLE_MS / 3);
    }
    await until(() => seen.length > 0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(WRITE_STABLE_MS);
    await wait(WRITE_STABLE_MS * 2);
    expect(seen).toEqual([['a.csv', 'change']]);

    await writeFile(later, 'Email\n');
    await until(() => seen.length > 1);
    expect(seen[1]).toEqual(['later.csv', 'add']);
  });

  it('set() drops files no longer listed', async () => {
    const a = path.join(dir, 'a.csv');
    const b = path.join(dir, 'b.csv');
    await writeFile(a, '1');
    await writeFile(b, '1');
    const w = open([a, b]);
    await w.ready();
    w.set([b]);
    await writeFile(a, '22');
    await writeFile(b, '22');
    await until(() => seen.length > 0);
    await wait(WRITE_STABLE_MS * 2);
    expect(seen).toEqual([['b.csv', 'change']]);
  });
});

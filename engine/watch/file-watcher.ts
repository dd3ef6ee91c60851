/**
 * The files watch mode listens to (the config file and the segment files), through chokidar. Events come only
 * once a write has finished: chokidar polls the file's size until it stops changing.
 */
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

/**
 * How long a file's size must stay the same before its write counts as finished. Upstream jobs write segment
 * files in chunks a few ms apart; 150 ms of quiet covers that while keeping file-to-contact latency well under
 * the 2 s the watch issue asks for.
 */
export const WRITE_STABLE_MS = 150;
/** How often chokidar checks the size while a write is going (its default is 100 ms; faster means less latency). */
export const WRITE_POLL_MS = 25;

export type FileEventKind = 'add' | 'change' | 'unlink';

export interface FileWatcher {
  /** Watches exactly these files from now on (absolute paths): new ones are added, others dropped. */
  set(paths: string[]): void;
  /** Resolves once the initial scan of the watched files is done. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export type FileWatcherFactory = (onEvent: (file: string, kind: FileEventKind) => void, onError: (err: Error) => void) => FileWatcher;

export const createChokidarWatcher: FileWatcherFactory = (onEvent, onError) => {
  let watcher: FSWatcher | undefined;
  let watched = new Set<string>();
  let readyPromise: Promise<void> = Promise.resolve();

  const open = (paths: string[]): FSWatcher => {
    const w = watch(paths, {
      ignoreInitial: true,
      persistent: true,
      awaitWriteFinish: { stabilityThreshold: WRITE_STABLE_MS, pollInterval: WRITE_POLL_MS },
    });
    readyPromise = new Promise((resolve) => w.once('ready', () => resolve()));
    for (const kind of ['add', 'change', 'unlink'] as const) {
      w.on(kind, (file: string) => onEvent(path.resolve(file), kind));
    }
    w.on('error', (err: unknown) => onError(err instanceof Error ? err : new Error(String(err))));
    return w;
  };

  return {
    set(paths) {
      const next = new Set(paths.map((p) => path.resolve(p)));
      const added = [...next].filter((p) => !watched.has(p));
      const removed = [...watched].filter((p) => !next.has(p));
      watched = next;
      if (watcher === undefined) {
        watcher = open([...next]);
        return;
      }
      if (removed.length > 0) watcher.unwatch(removed);
      if (added.length > 0) {
        watcher.add(added);
      }
    },
    ready: () => readyPromise,
    async close() {
      const w = watcher;
      watcher = undefined;
      await w?.close();
    },
  };
};

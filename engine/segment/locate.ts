/**
 * Where a segment file may be, checked before anything reads it (and before any request is sent): the path is
 * resolved with its symbolic links, must lie inside the config file's folder (or a folder named in
 * ACSYNC_SEGMENT_ROOTS), and must be a regular file. A segment path is data the config's author controls, and a
 * pull request can change it: without these checks `segment: ../../.env` (or a link to it) would print the first
 * line of that file in an error, and a FIFO or /dev/zero would block or spin forever.
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

/** Extra folders (path.delimiter-separated, absolute or relative to the working directory) segments may be read from. */
export const SEGMENT_ROOTS_ENV = 'ACSYNC_SEGMENT_ROOTS';

export interface SegmentLocationProblem {
  kind: 'missing' | 'outside' | 'not-regular' | 'unreadable';
  message: string;
  hint: string;
}

/** The folders a config's segments may be in: the config file's own folder, then ACSYNC_SEGMENT_ROOTS. */
export function segmentRoots(configFile: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const extra = (env[SEGMENT_ROOTS_ENV] ?? '')
    .split(path.delimiter)
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => path.resolve(p));
  return [path.dirname(path.resolve(configFile)), ...extra];
}

/**
 * The segment's real path (links resolved) when it may be read, or the problem. Never opens the file: a FIFO is
 * recognised from its metadata, so checking it cannot block.
 */
export async function locateSegmentFile(file: string, roots: readonly string[]): Promise<{ path: string } | { problem: SegmentLocationProblem }> {
  let real: string;
  try {
    real = await realpath(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return { problem: { kind: 'missing', message: 'segment file not found', hint: 'check the `segment:` path in the config; a relative path is resolved from the folder of the config file' } };
    }
    if (code === 'ELOOP') return { problem: { kind: 'unreadable', message: 'the segment path is a loop of symbolic links', hint: 'point `segment:` at the file itself' } };
    return { problem: { kind: 'unreadable', message: 'cannot read the segment file (permission denied)', hint: 'make the file and its folders readable by the user running acsync' } };
  }
  const realRoots = await Promise.all(roots.map((r) => realpath(r).catch(() => path.resolve(r))));
  if (!realRoots.some((root) => isInside(real, root))) {
    return {
      problem: {
        kind: 'outside',
        message: 'the segment file is outside the folder of the config file (after following symbolic links)',
        hint: `keep segment files in or below the config's folder, or allow another folder with ${SEGMENT_ROOTS_ENV}=/path/to/data`,
      },
    };
  }
  const info = await stat(real);
  if (info.isDirectory()) {
    return { problem: { kind: 'not-regular', message: 'is a directory, not a segment file', hint: 'point `segment:` at a .csv, .ndjson or .json file' } };
  }
  if (!info.isFile()) {
    const what = info.isFIFO() ? 'a named pipe (FIFO)' : info.isCharacterDevice() || info.isBlockDevice() ? 'a device' : info.isSocket() ? 'a socket' : 'not a regular file';
    return { problem: { kind: 'not-regular', message: `the segment is ${what}, not a regular file`, hint: 'acsync reads segments from regular files only: write the segment to a file first' } };
  }
  return { path: real };
}

function isInside(file: string, root: string): boolean {
  const rel = path.relative(root, file);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/**
 * Why `target` (a folder, or a glob's base folder) is not inside the roots after following links, or undefined.
 * A target that does not exist is left to the reader, which says so.
 */
export async function confinementProblem(target: string, roots: readonly string[]): Promise<SegmentLocationProblem | undefined> {
  let real: string;
  try {
    real = await realpath(target);
  } catch {
    return undefined;
  }
  const realRoots = await Promise.all(roots.map((r) => realpath(r).catch(() => path.resolve(r))));
  if (realRoots.some((root) => isInside(real, root))) return undefined;
  return {
    kind: 'outside',
    message: 'the segment is outside the folder of the config file (after following symbolic links)',
    hint: `keep segment files in or below the config's folder, or allow another folder with ${SEGMENT_ROOTS_ENV}=/path/to/data`,
  };
}

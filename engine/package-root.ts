/**
 * Files of the acsync package itself (package.json, schemas/, examples/, bin/), found from this module's own
 * location. The sources sit one folder below the package root (engine/package-root.ts) and the compiled code two
 * (dist/engine/package-root.js), so a fixed relative URL would be right for only one of them.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function findRoot(): URL {
  for (const up of ['../', '../../']) {
    const dir = new URL(up, import.meta.url);
    if (existsSync(fileURLToPath(new URL('package.json', dir)))) return dir;
  }
  throw new Error(`acsync: cannot find its package.json above ${fileURLToPath(import.meta.url)}`);
}

/** The package root as a directory URL (ends with `/`). */
export const PACKAGE_ROOT: URL = findRoot();

/** A file of the package, by its path relative to the package root (`schemas/acsync.schema.json`). */
export function packageFile(rel: string): URL {
  return new URL(rel, PACKAGE_ROOT);
}

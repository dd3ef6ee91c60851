/**
 * Drivers are optional dependencies, loaded only when a config uses them: a file-only install stays light, and a
 * missing driver is an error that names the package to install.
 */
import { SegmentError } from '../errors.ts';

export async function loadDriver<T>(pkg: string, version: string, what: string, file: string, line?: number): Promise<T> {
  try {
    return (await import(pkg)) as T;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw err;
    throw new SegmentError({
      message: `${what} needs the package ${pkg}, which is not installed`,
      file,
      ...(line !== undefined ? { line } : {}),
      hint: `install it beside acsync: npm install ${pkg}@${version} (it is an optional dependency: npm install --omit=optional leaves it out)`,
    });
  }
}

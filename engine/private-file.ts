/**
 * A small file only its owner may read (saved plans, the memory of refusals: they hold email addresses), written
 * whole or not at all: to a temporary file beside it, mode 0600, renamed into place, so a reader sees the old
 * file or the new one, never half of one. The temporary file is removed when the write fails.
 */
import { randomBytes } from 'node:crypto';
import { chmod, rename, rm, writeFile } from 'node:fs/promises';

export async function writePrivateFile(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, text, { mode: 0o600 });
    // The mode above is masked by the umask; 0600 must hold whatever it is.
    await chmod(tmp, 0o600);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

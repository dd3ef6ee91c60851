/**
 * The regular file DuckDB's COPY writes a segment's rows into (duckdb.ts reads it as it is written, or once the
 * COPY has answered), alone in a private temporary folder, which `remove` deletes whatever happened.
 * The folder (mkdtemp: 0700) is what keeps the rows from other users: DuckDB creates the file with the umask's
 * mode (0644 as a rule), and a file made 0600 beforehand would not help, since COPY then writes a temporary file
 * beside it and renames that over it.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export class RowFile {
  readonly path: string;
  readonly #dir: string;

  private constructor(dir: string) {
    this.#dir = dir;
    this.path = path.join(dir, 'rows.tsv');
  }

  /** A new, empty folder; the file is DuckDB's to create. */
  static async create(): Promise<RowFile> {
    return new RowFile(await mkdtemp(path.join(tmpdir(), 'acsync-duckdb-')));
  }

  open(highWaterMark: number): ReadStream {
    return createReadStream(this.path, { highWaterMark });
  }

  async remove(): Promise<void> {
    // Retries: on Windows another process (a virus scanner) may hold the file for a moment (EBUSY, EPERM).
    await rm(this.#dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/**
 * A named pipe for DuckDB's COPY to write a segment's rows into while Node reads them (duckdb.ts): the driver
 * makes one native call per string it hands over, which costs several times DuckDB's own read; COPY writes the
 * same rows as bytes, and a pipe keeps them streaming, never all on disk or in memory. Where no pipe can be made,
 * the same COPY writes a regular file (duckdb-file.ts). The pipe lives alone in a private temporary folder
 * (mkdtemp: 0700, the pipe 0600), which `remove` deletes whatever happened.
 */
import { execFile } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Socket, type SocketConstructorOpts } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** Set once `mkfifo` turned out not to be installed: later reads go through a file without trying again. */
let mkfifoMissing = false;

export class RowFifo {
  readonly path: string;
  readonly #dir: string;

  private constructor(dir: string) {
    this.#dir = dir;
    this.path = path.join(dir, 'rows.tsv');
  }

  /**
   * A new pipe, or undefined where there is none to make. Linux only: the read end is opened without waiting for
   * a writer, and only Linux promises that such a reader sees no end of file before a writer has come and gone.
   */
  static async create(): Promise<RowFifo | undefined> {
    if (process.platform !== 'linux' || mkfifoMissing) return undefined;
    // No writable temporary folder is an error here: the file way needs one too.
    const fifo = new RowFifo(await mkdtemp(path.join(tmpdir(), 'acsync-duckdb-')));
    try {
      await execFileP('mkfifo', ['-m', '600', fifo.path]);
      return fifo;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') mkfifoMissing = true;
      await fifo.remove();
      return undefined;
    }
  }

  /**
   * The read end, opened at once (O_NONBLOCK) and read through the event loop. A blocking open or fs reads would
   * each hold one of libuv's four pool threads, which DuckDB's COPY needs too: with several exports read at once
   * the readers could take every thread and wait for writers that never get one.
   */
  open(highWaterMark: number): Socket {
    const fd = openSync(this.path, constants.O_RDONLY | constants.O_NONBLOCK);
    // net.Socket hands its options to stream.Duplex, which takes readableHighWaterMark; @types/node omits it.
    const options: SocketConstructorOpts & { readableHighWaterMark: number } = { fd, readable: true, writable: false, readableHighWaterMark: highWaterMark };
    return new Socket(options);
  }

  /**
   * Connects a writer and leaves at once, so the reader sees the end of the rows even when DuckDB never opened
   * the pipe (a query that failed before writing). Harmless after DuckDB wrote and closed: the rows still in the
   * pipe are read first. Nothing to do once the reader is gone (ENXIO).
   */
  release(): void {
    try {
      closeSync(openSync(this.path, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // No reader any more, or the folder is already removed: nobody waits.
    }
  }

  async remove(): Promise<void> {
    await rm(this.#dir, { recursive: true, force: true });
  }
}

/**
 * The file segment source: a CSV, NDJSON/JSON Lines or JSON array file, read by extension in bounded memory
 * (engine/segment/read.ts), fingerprinted from the very bytes the readers parsed.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { parse } from 'csv-parse/sync';
import { sniffBinary } from './bytes.ts';
import { checkHeader } from './csv.ts';
import { MAX_RECORD_BYTES, READ_CHUNK_BYTES, type SegmentRecord } from './record.ts';
import { checkSegmentFile, readSegmentBatches, segmentFormat } from './read.ts';
import type { SegmentOrigin, SegmentSource } from './source.ts';

export class FileSegmentSource implements SegmentSource {
  #fingerprint = '';
  #rows = 0;
  #ms = 0;

  /**
   * `display` is the file as messages name it (defaults to the path); `roots` are the folders it must be in after
   * following links (engine/segment/locate.ts; any folder when absent).
   */
  constructor(
    readonly path: string,
    readonly display: string = path,
    readonly roots?: readonly string[],
  ) {}

  async describe(): Promise<readonly string[] | undefined> {
    return (await this.#csvHeader())?.names;
  }

  async check(columns: readonly string[]): Promise<void> {
    await checkSegmentFile(this.path, this.display, this.roots);
    const header = await this.#csvHeader();
    if (header !== undefined) checkHeader(header.names, columns, this.display, header.line);
  }

  async *records(columns: readonly string[]): AsyncGenerator<SegmentRecord[]> {
    const started = performance.now();
    this.#fingerprint = '';
    this.#rows = 0;
    const hash = createHash('sha256');
    try {
      for await (const batch of readSegmentBatches(this.path, { columns, displayFile: this.display, onChunk: (chunk) => hash.update(chunk), ...(this.roots ? { roots: this.roots } : {}) })) {
        this.#rows += batch.length;
        yield batch;
      }
      this.#fingerprint = hash.digest('hex');
    } finally {
      this.#ms = performance.now() - started;
    }
  }

  fingerprint(): string {
    return this.#fingerprint;
  }

  origin(): SegmentOrigin {
    return { engine: 'file', files: [this.display], fileCount: 1, rowsRead: this.#rows, readMs: Math.round(this.#ms) };
  }

  async close(): Promise<void> {}

  /**
   * The header of a CSV file and its line, from the first chunk; undefined for other formats and for a header the
   * first chunk cannot settle (empty, unclosed quote, not UTF-8...): the reader then reports it with its line.
   */
  async #csvHeader(): Promise<{ names: string[]; line: number } | undefined> {
    if (segmentFormat(this.path) !== 'csv') return undefined;
    const handle = await open(this.path, 'r');
    let chunk: Buffer;
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(READ_CHUNK_BYTES), 0, READ_CHUNK_BYTES, 0);
      chunk = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
    if (chunk.length === 0) return undefined;
    sniffBinary(chunk, this.display);
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(chunk.subarray(0, Math.max(0, chunk.lastIndexOf(0x0a))));
      const rows = parse(chunk, { bom: true, skip_empty_lines: true, to: 1, info: true, max_record_size: MAX_RECORD_BYTES }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
      const first = rows[0];
      if (first === undefined) return undefined;
      const newlines = first.record.reduce((n, f) => n + (f.match(/\n/g)?.length ?? 0), 0);
      return { names: first.record.map((h) => h.trim()), line: first.info.lines - newlines };
    } catch {
      return undefined;
    }
  }
}

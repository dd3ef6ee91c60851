/**
 * Byte-level checks shared by the segment readers: binary sniffing, streamed UTF-8 validation, and turning a
 * byte offset back into a line number (only on the error path, so the happy path never counts lines twice).
 */
import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { SegmentError } from './errors.ts';

/** How much of the first chunk is searched for NUL bytes: git's binary heuristic uses the same 8000 bytes. */
const BINARY_SNIFF_BYTES = 8000;

/** Signatures of common non-text files (their published magic numbers). */
const MAGIC: Array<[number[], string]> = [
  [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
  [[0x25, 0x50, 0x44, 0x46, 0x2d], 'a PDF document'],
  [[0xd0, 0xcf, 0x11, 0xe0], 'an old Excel (.xls) or Office file'],
];

/** Refuse files that are clearly not text, with a hint naming what they look like. */
export function sniffBinary(first: Buffer, file: string): void {
  const notText = (what: string, hint: string) =>
    new SegmentError({ message: `the file is not text: it looks like ${what}`, file, hint });
  if (first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b) {
    throw notText('a gzip archive', 'decompress it first (gunzip) and point `segment:` at the file inside');
  }
  if (first.length >= 4 && first[0] === 0x50 && first[1] === 0x4b && first[2] === 0x03 && first[3] === 0x04) {
    throw notText(
      'a ZIP archive or an Excel workbook',
      'export the sheet as "CSV UTF-8" (or unzip the archive) and point `segment:` at that file',
    );
  }
  // Files people attach by mistake: a line number inside them would mean nothing, so name what they are.
  for (const [magic, what] of MAGIC) {
    if (first.length >= magic.length && magic.every((b, i) => first[i] === b)) {
      throw notText(what, 'a segment must be a text file in UTF-8: CSV, NDJSON or a JSON array; point `segment:` at the exported profiles');
    }
  }
  if (first.length >= 2 && ((first[0] === 0xff && first[1] === 0xfe) || (first[0] === 0xfe && first[1] === 0xff))) {
    throw new SegmentError({ message: 'the file is UTF-16 encoded', file, line: 1, hint: 'save it as UTF-8 (in Excel: "CSV UTF-8")' });
  }
  const nul = first.subarray(0, BINARY_SNIFF_BYTES).indexOf(0);
  if (nul !== -1) {
    throw new SegmentError({
      message: `the file contains binary data (a NUL byte at byte ${nul + 1})`,
      file,
      line: lineOfOffsetIn(first, nul),
      hint: 'a segment must be a text file in UTF-8: CSV, NDJSON or a JSON array',
    });
  }
}

function lineOfOffsetIn(buf: Buffer, offset: number): number {
  let line = 1;
  for (let i = buf.indexOf(10); i !== -1 && i < offset; i = buf.indexOf(10, i + 1)) line++;
  return line;
}

/** Length of the UTF-8 sequence a lead byte starts (1 for ASCII and for bytes that cannot lead: they fail later). */
function sequenceLength(lead: number): number {
  if (lead < 0xc0) return 1;
  if (lead < 0xe0) return 2;
  if (lead < 0xf0) return 3;
  return 4;
}

/**
 * Validates UTF-8 across chunk boundaries without decoding (node's native `isUtf8`), keeping at most three bytes
 * of an unfinished character from one chunk to the next.
 */
export class Utf8Guard {
  #carry: Buffer = Buffer.alloc(0);
  /** Absolute offset in the file of the first byte of the next chunk. */
  #offset = 0;
  readonly #path: string;
  readonly #file: string;

  constructor(path: string, file: string) {
    this.#path = path;
    this.#file = file;
  }

  /** Throws a SegmentError (with the line) at the first invalid byte. */
  async check(chunk: Buffer): Promise<void> {
    const start = this.#offset;
    this.#offset += chunk.length;
    let body = chunk;
    let bodyStart = start;
    if (this.#carry.length > 0) {
      const need = sequenceLength(this.#carry[0]!) - this.#carry.length;
      const joined = Buffer.concat([this.#carry, chunk.subarray(0, need)]);
      if (joined.length < this.#carry.length + need) {
        this.#carry = joined; // a tiny chunk: keep collecting
        return;
      }
      if (!isUtf8(joined)) return this.#fail(start - this.#carry.length, joined);
      body = chunk.subarray(need);
      bodyStart = start + need;
      this.#carry = Buffer.alloc(0);
    }
    const tail = incompleteTail(body);
    const complete = tail === 0 ? body : body.subarray(0, body.length - tail);
    if (!isUtf8(complete)) return this.#fail(bodyStart, complete);
    this.#carry = tail === 0 ? this.#carry : Buffer.from(body.subarray(body.length - tail));
  }

  /** At the end of the file an unfinished character is itself invalid. */
  async finish(): Promise<void> {
    if (this.#carry.length > 0) await this.#fail(this.#offset - this.#carry.length, this.#carry);
  }

  async #fail(bufStart: number, buf: Buffer): Promise<never> {
    const at = bufStart + firstInvalidUtf8(buf);
    throw new SegmentError({
      message: `invalid UTF-8 (byte ${at + 1} of the file)`,
      file: this.#file,
      line: await lineAtOffset(this.#path, at),
      hint: 'save the file as UTF-8; files from Excel or older systems are often Latin-1 or Windows-1252 (in Excel: "CSV UTF-8")',
    });
  }
}

/** Bytes at the end of `buf` that start a character the buffer does not finish (0 to 3). */
function incompleteTail(buf: Buffer): number {
  for (let back = 1; back <= 3 && back <= buf.length; back++) {
    const b = buf[buf.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: keep looking for its lead
    return b >= 0xc0 && sequenceLength(b) > back ? back : 0;
  }
  return 0;
}

/** Offset of the first byte that is not valid UTF-8 (error path only: a plain scan). */
export function firstInvalidUtf8(buf: Buffer): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const n = b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (n === 0 || i + n > buf.length) return i;
    for (let k = 1; k < n; k++) if ((buf[i + k]! & 0xc0) !== 0x80) return i;
    // Overlongs, surrogates and code points past U+10FFFF are caught by the native check; point at the lead byte.
    if (!isUtf8(buf.subarray(i, i + n))) return i;
    i += n;
  }
  return buf.length;
}

/** 1-based line of a byte offset, by reading the file up to it (error path only). */
export async function lineAtOffset(path: string, offset: number): Promise<number> {
  if (offset <= 0) return 1;
  let line = 1;
  const stream = createReadStream(path, { start: 0, end: offset - 1 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) line++;
  }
  return line;
}

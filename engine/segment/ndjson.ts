/** Streams an NDJSON / JSON Lines segment: one JSON object per line, blank lines ignored. */
import { readLines } from '../lines.ts';
import { sniffBinary } from './bytes.ts';
import { SegmentError } from './errors.ts';
import { JsonProjector, toRecord, isPlainObject, jsonErrorPosition, jsonErrorText, missingKeysError } from './json-values.ts';
import { MAX_RECORD_BYTES, READ_CHUNK_BYTES, type SegmentRecord } from './record.ts';

/** `onChunk` sees every byte read, in order (the file source fingerprints what it streamed with it). */
export async function* readNdjsonBatches(path: string, file: string, columns: readonly string[], onChunk?: (chunk: Buffer) => void): AsyncGenerator<SegmentRecord[]> {
  // fatal: a wrong byte is an error naming the line, never a silent U+FFFD in someone's name.
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  const projector = new JsonProjector(columns);

  const parseLine = (bytes: Buffer, n: number, out: SegmentRecord[]): void => {
    let text: string;
    try {
      text = decoder.decode(bytes); // decodes (and drops) a BOM on the first line only: ignoreBOM false, fresh per call
    } catch {
      throw new SegmentError({
        message: 'invalid UTF-8',
        file,
        line: n,
        hint: 'save the file as UTF-8; files from older systems are often Latin-1 or Windows-1252',
      });
    }
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      const at = jsonErrorPosition(err, text, n);
      throw new SegmentError({
        message: `malformed JSON on line ${n}: ${jsonErrorText(err)}`,
        file,
        line: n,
        ...(at.column === undefined ? {} : { column: at.column }),
        hint:
          n === 1 && text.trimStart().startsWith('[')
            ? 'the file looks like a JSON array: name it .json, or write one object per line'
            : 'each line must be one complete JSON object, e.g. {"email": "ana@example.com"}',
      });
    }
    if (!isPlainObject(value)) {
      throw new SegmentError({
        message: `line ${n} is not a JSON object`,
        file,
        line: n,
        hint: 'each line must be one JSON object holding a profile, e.g. {"email": "ana@example.com"}',
      });
    }
    out.push(toRecord(n, projector.project(value, text)));
  };

  const batches = readLines(path, {
    chunkBytes: READ_CHUNK_BYTES,
    maxLineBytes: MAX_RECORD_BYTES,
    tooLong: (n) => tooLong(file, n),
    onChunk: (chunk, first) => {
      onChunk?.(chunk);
      if (first) sniffBinary(chunk, file);
    },
  });
  for await (const { lines, firstLine } of batches) {
    const out: SegmentRecord[] = [];
    for (let k = 0; k < lines.length; k++) parseLine(lines[k]!, firstLine + k, out);
    if (out.length > 0) yield out;
  }
  const error = missingKeysError(projector, file);
  if (error) throw error;
}

function tooLong(file: string, line: number): never {
  throw new SegmentError({
    message: `line ${line} is longer than ${MAX_RECORD_BYTES / 1024 / 1024} MB`,
    file,
    line,
    hint: 'each line must hold one profile; check that the file really is NDJSON (one object per line)',
  });
}

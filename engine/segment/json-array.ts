/**
 * Streams a JSON segment that is one top-level array of profile objects, without parsing the whole file: a small
 * byte scanner finds where each top-level element starts and ends (tracking strings, escapes and nesting depth),
 * and only that element goes through JSON.parse. Memory holds one element at a time.
 */
import { createReadStream } from 'node:fs';
import { sniffBinary } from './bytes.ts';
import { SegmentError } from './errors.ts';
import { JsonProjector, toRecord, isPlainObject, jsonErrorPosition, jsonErrorText, missingKeysError } from './json-values.ts';
import { MAX_RECORD_BYTES, READ_CHUNK_BYTES, type SegmentRecord } from './record.ts';

const enum S {
  /** Before the opening `[`. */
  Start,
  /** After `[`: an element or `]`. */
  FirstValue,
  /** After `,`: an element. */
  Value,
  /** Inside an element. */
  Element,
  /** After an element: `,` or `]`. */
  AfterValue,
  /** After the closing `]`: only whitespace. */
  Done,
}

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_SQUARE = 0x5b;
const CLOSE_SQUARE = 0x5d;
const OPEN_CURLY = 0x7b;
const CLOSE_CURLY = 0x7d;
const BOM = [0xef, 0xbb, 0xbf] as const;

const isSpace = (b: number) => b === SPACE || b === LF || b === CR || b === TAB;

/** `onChunk` sees every byte read, in order (the file source fingerprints what it streamed with it). */
export async function* readJsonArrayBatches(path: string, file: string, columns: readonly string[], onChunk?: (chunk: Buffer) => void): AsyncGenerator<SegmentRecord[]> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const projector = new JsonProjector(columns);
  let state = S.Start;
  let line = 1;
  let column = 0;
  // The element being scanned.
  let depth = 0;
  let inString = false;
  let escaped = false;
  /** A top-level scalar (number, true, null…) ends at a delimiter, not at a bracket. */
  let scalar = false;
  let parts: Buffer[] = [];
  let partBytes = 0;
  let elementLine = 0;
  let elementColumn = 0;
  let first = true;

  const fail = (message: string, hint: string, at = line, col: number | undefined = column): never => {
    throw new SegmentError({ message, file, line: at, ...(col === undefined ? {} : { column: col }), hint });
  };

  const finishElement = (out: SegmentRecord[]): void => {
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    parts = [];
    partBytes = 0;
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      return fail(
        `invalid UTF-8 in the element starting at line ${elementLine}`,
        'save the file as UTF-8; files from older systems are often Latin-1 or Windows-1252',
        elementLine,
        undefined,
      );
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      const at = jsonErrorPosition(err, text, elementLine, elementColumn);
      return fail(`malformed JSON: ${jsonErrorText(err)}`, 'fix the JSON at that position (a validator such as `jq . file` shows it too)', at.line, at.column);
    }
    if (!isPlainObject(value)) {
      return fail(
        `the array element starting at line ${elementLine} is not an object`,
        'each element must be one profile object, e.g. {"email": "ana@example.com"}',
        elementLine,
        elementColumn,
      );
    }
    out.push(toRecord(elementLine, projector.project(value, text)));
  };

  for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }) as AsyncIterable<Buffer>) {
    onChunk?.(chunk);
    let i = 0;
    if (first) {
      sniffBinary(chunk, file);
      first = false;
      if (chunk[0] === BOM[0] && chunk[1] === BOM[1] && chunk[2] === BOM[2]) i = 3;
    }
    const out: SegmentRecord[] = [];
    let elementStart = state === S.Element ? 0 : -1;
    for (; i < chunk.length; i++) {
      const b = chunk[i]!;
      column++;
      if (state === S.Element) {
        if (inString) {
          if (escaped) escaped = false;
          else if (b === BACKSLASH) escaped = true;
          else if (b === QUOTE) {
            inString = false;
            if (depth === 0) end(i + 1);
          } else if (b === LF) {
            line++; // invalid inside a JSON string; JSON.parse will say so with the right line
            column = 0;
          }
          continue;
        }
        if (scalar) {
          if (isSpace(b) || b === COMMA || b === CLOSE_SQUARE) {
            end(i);
            i--; // the delimiter belongs to the array
            column--;
          }
          continue;
        }
        if (b === QUOTE) inString = true;
        else if (b === OPEN_CURLY || b === OPEN_SQUARE) depth++;
        else if (b === CLOSE_CURLY || b === CLOSE_SQUARE) {
          depth--;
          if (depth === 0) end(i + 1);
        } else if (b === LF) {
          line++;
          column = 0;
        }
        continue;
      }
      if (isSpace(b)) {
        if (b === LF) {
          line++;
          column = 0;
        }
        continue;
      }
      switch (state as S) {
        case S.Start:
          if (b !== OPEN_SQUARE) {
            fail(
              'expected a JSON array of profiles ([ {...}, {...} ])',
              b === OPEN_CURLY
                ? 'the file starts with an object: if it holds one object per line, name it .ndjson; otherwise wrap the profiles in [ ]'
                : 'a .json segment must be one array of profile objects',
            );
          }
          state = S.FirstValue;
          break;
        case S.FirstValue:
        case S.Value:
          if (b === CLOSE_SQUARE) {
            if (state === S.Value) fail('a comma is followed by `]`', 'remove the trailing comma after the last element');
            state = S.Done;
            break;
          }
          if (b === COMMA) fail('unexpected `,` where an element should be', 'remove the extra comma');
          state = S.Element;
          elementStart = i;
          elementLine = line;
          elementColumn = column;
          depth = b === OPEN_CURLY || b === OPEN_SQUARE ? 1 : 0;
          inString = b === QUOTE;
          scalar = depth === 0 && !inString;
          break;
        case S.AfterValue:
          if (b === COMMA) state = S.Value;
          else if (b === CLOSE_SQUARE) state = S.Done;
          else fail('expected `,` or `]` after an array element', 'separate the profiles with commas');
          break;
        case S.Done:
          fail('unexpected data after the end of the array', 'a .json segment must hold exactly one array');
      }
    }
    if (state === S.Element) {
      const rest = chunk.subarray(elementStart);
      parts.push(rest);
      partBytes += rest.length;
      if (partBytes > MAX_RECORD_BYTES) {
        fail(
          `the element starting at line ${elementLine} is larger than ${MAX_RECORD_BYTES / 1024 / 1024} MB`,
          'each element must be one profile; a string that is never closed also reads as one huge element',
          elementLine,
          elementColumn,
        );
      }
    }
    if (out.length > 0) yield out;

    // Closes over this chunk's `out`, `chunk` and `elementStart`: defined here so the hot loop above stays flat.
    function end(stop: number): void {
      const piece = chunk.subarray(elementStart, stop);
      parts.push(piece);
      partBytes += piece.length;
      elementStart = -1;
      state = S.AfterValue;
      scalar = false;
      finishElement(out);
    }
  }
  if (first) fail('the file is empty', 'a .json segment must hold one array of profiles; an empty segment is []', 1, undefined);
  if (state === S.Element && scalar) {
    fail('the file ends inside the array', 'the array is never closed with `]`: the file may be truncated');
  }
  if ((state as S) !== S.Done) {
    fail(
      state === S.Start ? 'the file holds no JSON array' : 'the file ends before the array is closed',
      state === S.Start ? 'a .json segment must hold one array of profiles; an empty segment is []' : 'the file may be truncated: it must end with `]`',
    );
  }
  const error = missingKeysError(projector, file);
  if (error) throw error;
}

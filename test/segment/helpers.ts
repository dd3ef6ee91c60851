import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { readSegment, type ReadSegmentOptions, type SegmentRecord } from '../../engine/segment/read.ts';

/** A temporary folder for this test file, removed afterwards. */
export function scratch(): (name: string, content: string | Buffer) => string {
  const dir = mkdtempSync(join(tmpdir(), 'acsync-segment-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return (name, content) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
}

export async function readAll(path: string, options: ReadSegmentOptions): Promise<SegmentRecord[]> {
  const out: SegmentRecord[] = [];
  for await (const r of readSegment(path, options)) out.push(r);
  return out;
}

/** The error a read throws (fails the test when it does not throw). */
export async function readError(path: string, options: ReadSegmentOptions): Promise<Error & Record<string, unknown>> {
  try {
    await readAll(path, options);
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error(`expected reading ${path} to fail`);
}

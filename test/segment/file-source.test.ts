/** The file segment source (engine/segment/file-source.ts) against the SegmentSource contract (source.ts). */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FileSegmentSource } from '../../engine/segment/file-source.ts';
import type { SegmentRecord } from '../../engine/segment/record.ts';
import { readError, scratch } from './helpers.ts';

const file = scratch();

async function all(source: FileSegmentSource, columns: string[]): Promise<SegmentRecord[]> {
  const out: SegmentRecord[] = [];
  for await (const batch of source.records(columns)) out.push(...batch);
  return out;
}

describe('FileSegmentSource', () => {
  it('describes a CSV by its header, and a schemaless file as unknown', async () => {
    expect(await new FileSegmentSource(file('a.csv', '\n Email ,First\r\nana@x.example,Ana\n')).describe()).toEqual(['Email', 'First']);
    expect(await new FileSegmentSource(file('a.ndjson', '{"Email":"ana@x.example"}\n')).describe()).toBeUndefined();
  });

  it('check refuses a missing mapped column with the message the reader gives, at the header line', async () => {
    const path = file('b.csv', '\n\nMail,First\nana@x.example,Ana\n');
    const source = new FileSegmentSource(path, 'b.csv');
    const checked = await source.check(['Email']).then(
      () => undefined,
      (e: unknown) => e as Error & Record<string, unknown>,
    );
    const read = await readError(path, { columns: ['Email'], displayFile: 'b.csv' });
    expect(checked).toMatchObject({ name: 'SegmentError', file: 'b.csv', line: 3 });
    expect(checked?.message).toBe(read.message);
    await expect(source.check(['Mail', 'First'])).resolves.toBeUndefined();
  });

  it('check refuses what is not there or not a segment file, reading no row', async () => {
    await expect(new FileSegmentSource('/nonexistent/seg.csv', 'seg.csv').check(['Email'])).rejects.toMatchObject({ message: 'seg.csv: segment file not found' });
    await expect(new FileSegmentSource(file('c.txt', 'x'), 'c.txt').check(['Email'])).rejects.toMatchObject({ message: expect.stringMatching(/unsupported segment file type '\.txt'/) });
  });

  it('fingerprints exactly the bytes it streamed, and only after a complete pass', async () => {
    const content = 'Email,First\n' + Array.from({ length: 20_000 }, (_, i) => `p${i}@x.example,P${i}`).join('\n') + '\n';
    const path = file('d.csv', content);
    const source = new FileSegmentSource(path);
    expect(source.fingerprint()).toBe('');
    expect(await all(source, ['Email'])).toHaveLength(20_000);
    expect(source.fingerprint()).toBe(createHash('sha256').update(readFileSync(path)).digest('hex'));
  });
});

/**
 * Bad-input corpus, segment files: each broken file stops its export with a message naming the file, the line
 * when there is one, and what to do, before anything is sent to ActiveCampaign (the emulator sees no write).
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index.ts';
import { runExports } from '../../engine/pipeline/run.ts';
import { managedTag } from '../../engine/tags.ts';
import { type Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';

const H = 'Email,First,Last,Phone,Tier\n';
const ROW = 'a@acsync-corpus.example,Ana,Silva,,Gold\n';
const nd = (o: Record<string, unknown>): string => JSON.stringify({ Email: 'a@acsync-corpus.example', First: 'A', Last: 'L', Phone: '', Tier: 'Gold', ...o });
const bytes = (...parts: Array<string | number[]>): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

interface SegmentCase {
  name: string;
  file: string;
  /** File content; 'DIR' makes a directory, undefined leaves the file missing. */
  content?: string | Buffer | 'DIR';
  /** Expected line (undefined: the problem is the file as a whole). */
  line?: number;
  message: RegExp;
  hint: RegExp;
}

const CASES: SegmentCase[] = [
  { name: 'a missing file', file: 'nope.csv', message: /segment file not found/, hint: /check the `segment:` path.*relative to|resolved from the folder of the config/ },
  { name: 'a directory instead of a file', file: 'folder.csv', content: 'DIR', message: /is a directory, not a segment file/, hint: /\.csv, \.ndjson or \.json file/ },
  { name: 'an empty file (no header)', file: 'seg.csv', content: '', message: /the file is empty: there is no header row/, hint: /starts with a header row/ },
  { name: 'invalid UTF-8 (Latin-1 é) on line 3', file: 'seg.csv', content: bytes(H, ROW, 'b@acsync-corpus.example,Caf', [0xe9], ',,,\n'), line: 3, message: /invalid UTF-8/, hint: /save the file as UTF-8.*Latin-1/ },
  { name: 'UTF-16 (Excel "Unicode text")', file: 'seg.csv', content: bytes([0xff, 0xfe], [...Buffer.from(H + ROW, 'utf16le')]), line: 1, message: /UTF-16/, hint: /save it as UTF-8/ },
  { name: 'semicolon-separated', file: 'seg.csv', content: 'Email;First;Last;Phone;Tier\na@acsync-corpus.example;A;;;\n', line: 1, message: /not found; the header has one column 'Email;First;Last;Phone;Tier'/, hint: /looks `;`-separated/ },
  { name: 'tab-separated', file: 'seg.csv', content: 'Email\tFirst\tLast\tPhone\tTier\na@acsync-corpus.example\tA\t\t\t\n', line: 1, message: /not found/, hint: /looks tab-separated/ },
  { name: 'a duplicate header', file: 'seg.csv', content: 'Email,First,Email,Last,Phone,Tier\na@acsync-corpus.example,A,b@acsync-corpus.example,,,\n', line: 1, message: /names column 'Email' twice \(columns 1 and 3\)/, hint: /rename or remove one/ },
  { name: 'a mapped column missing', file: 'seg.csv', content: 'Email,First,Last,Phone\na@acsync-corpus.example,A,,\n', line: 1, message: /column Tier not found; the header has columns 'Email', 'First', 'Last', 'Phone'/, hint: /mapping:.*case-sensitive/ },
  { name: 'a 10 MB field', file: 'seg.csv', content: H + 'a@acsync-corpus.example,' + 'x'.repeat(10 * 1024 * 1024) + ',,,\n', line: 2, message: /record starting at line 2 is larger than 1 MB/, hint: /quote.*never closed.*oversized value/ },
  { name: 'a quote never closed', file: 'seg.csv', content: H + ROW + 'b@acsync-corpus.example,"Bo,,,\nc@acsync-corpus.example,C,,,\n', line: 3, message: /quote opened in the record starting at line 3 is never closed/, hint: /close the quote/ },
  { name: 'a row with too many fields', file: 'seg.csv', content: H + ROW + 'b@acsync-corpus.example,Doe, Jane,,,\n', line: 3, message: /line 3 has 6 fields but the header has 5 columns/, hint: /quote values that contain a comma/ },
  { name: 'a row with too few fields', file: 'seg.csv', content: H + 'a@acsync-corpus.example,A\n', line: 2, message: /line 2 has 2 fields/, hint: /fix the row/ },
  { name: 'a PNG image renamed .csv', file: 'seg.csv', content: bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]), message: /not text: it looks like a PNG image/, hint: /text file in UTF-8/ },
  { name: 'an old Excel .xls renamed .csv', file: 'seg.csv', content: bytes([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]), message: /old Excel/, hint: /CSV, NDJSON or a JSON array/ },
  { name: 'random binary data', file: 'seg.csv', content: bytes([0x13, 0x37, 0, 0xff, 0x42, 0x0a, 0]), line: 1, message: /binary data \(a NUL byte at byte 3\)/, hint: /text file in UTF-8/ },
  { name: 'NUL bytes inside a row', file: 'seg.csv', content: bytes(H, 'a@acsync-corpus.example,A', [0, 0, 0], ',,,\n'), line: 2, message: /binary data \(a NUL byte/, hint: /text file in UTF-8/ },
  { name: 'a gzip archive', file: 'seg.csv', content: bytes([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4]), message: /looks like a gzip archive/, hint: /decompress it first/ },
  { name: 'an Excel workbook renamed .csv', file: 'seg.csv', content: bytes([0x50, 0x4b, 3, 4, 20, 0, 6, 0, 8, 0, 0, 0, 33, 0]), message: /ZIP archive or an Excel workbook/, hint: /CSV UTF-8/ },
  { name: 'NDJSON: a malformed line', file: 'seg.ndjson', content: `${nd({})}\n{"Email": "b@acsync-corpus.example", "First": \n${nd({ Email: 'c@acsync-corpus.example' })}\n`, line: 2, message: /malformed JSON on line 2/, hint: /one complete JSON object/ },
  { name: 'NDJSON: a line that is an array', file: 'seg.ndjson', content: `${nd({})}\n[1,2]\n`, line: 2, message: /line 2 is not a JSON object/, hint: /one JSON object holding a profile/ },
  { name: 'NDJSON: keys that match no mapping', file: 'seg.ndjson', content: '{"mail":"a@acsync-corpus.example"}\n', message: /are in none of the 1 profiles; the first profile has keys 'mail'/, hint: /mapping:.*case-sensitive/ },
  { name: 'JSON: a truncated array', file: 'seg.json', content: `[${nd({})},\n{"Email":"b@x`, line: 2, message: /ends before the array is closed/, hint: /truncated.*\]/ },
  { name: 'JSON: an object instead of an array', file: 'seg.json', content: nd({}), line: 1, message: /expected a JSON array of profiles/, hint: /name it \.ndjson.*wrap the profiles in \[ \]/ },
];

let emulator: EmulatorHandle;
let ws: Workspace;
const setup = withEmulatorWorkspace();
beforeEach(() => {
  ({ emulator, ws } = setup);
});

const writes = (): number => Object.entries(emulator.stats().byEndpoint).filter(([k]) => !k.startsWith('GET ')).reduce((n, [, v]) => n + v, 0);

describe('bad segment files: file, line, what to do; nothing sent', () => {
  it.each(CASES)('$name', async (c) => {
    if (c.content === 'DIR') await mkdir(path.join(ws.dir, c.file));
    else if (c.content !== undefined) await writeFile(path.join(ws.dir, c.file), c.content);
    await ws.config([{ segment: c.file }]);
    const r = await runExports(await ws.load(), { mode: 'apply', sink: () => {}, env: ws.env });
    expect(r.ok).toBe(false);
    const err = r.exports[0]!.error;
    expect(err, JSON.stringify(r.exports[0])).toBeDefined();
    expect(err!.message).toMatch(c.message);
    expect(err!.hint).toMatch(c.hint);
    expect(path.basename(err!.file ?? '')).toBe(c.file);
    expect(err!.message.startsWith(`${err!.file}${c.line === undefined ? ':' : `:${c.line}:`}`)).toBe(true);
    expect(err!.line).toBe(c.line);
    expect(writes()).toBe(0);
  });

  it.skipIf(process.getuid?.() === 0)('an unreadable file (permission denied)', async () => {
    const file = await ws.write('seg.csv', H + ROW);
    await chmod(file, 0o000);
    await ws.config([{ segment: 'seg.csv' }]);
    const r = await runExports(await ws.load(), { mode: 'apply', sink: () => {}, env: ws.env });
    expect(r.exports[0]!.error).toMatchObject({ message: expect.stringMatching(/permission denied/), hint: expect.stringMatching(/make the file readable/) });
    expect(writes()).toBe(0);
  });

  it('a header with no rows is an empty segment: refused when the list has contacts acsync synced', async () => {
    emulator.seed({ contacts: [{ email: 'a@acsync-corpus.example', lists: { '1': 1 }, tags: [managedTag('1')] }] });
    await ws.write('seg.csv', H);
    await ws.config([{ segment: 'seg.csv', onLeave: 'unsubscribe', extra: '    maxUnsubscribe: 1' }]);
    const r = await runExports(await ws.load(), { mode: 'apply', sink: () => {}, env: ws.env });
    expect(r.exports[0]!.error).toMatchObject({ message: expect.stringMatching(/the segment is empty but 1 contacts on list 1 came from it/), hint: expect.stringMatching(/nothing was applied/) });
    expect(writes()).toBe(0);
  });

  it('bad rows (no email, an invalid email, a duplicate) are skipped with their line, and the rest applied', async () => {
    await ws.write('seg.csv', H + ROW + ',NoEmail,,,\nnot-an-email,Bad,,,\nA@acsync-corpus.example,Dup,,,\n');
    await ws.config([{ segment: 'seg.csv' }]);
    const r = await runExports(await ws.load(), { mode: 'apply', sink: () => {}, env: ws.env });
    const skips = r.exports[0]!.plan!.changes.filter((c) => c.action === 'skip').map((c) => [c.row, c.reasonCode]);
    expect(skips).toEqual([
      [3, 'missing-email'],
      [4, 'invalid-email'],
      [5, 'duplicate-email'],
    ]);
    expect(r.exports[0]).toMatchObject({ applied: 1, failed: 0 });
  });
});

import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SegmentError } from '../../engine/segment/read.ts';
import { readAll, readError, scratch } from './helpers.ts';

const file = scratch();
const cols = ['Email', 'Name'];

describe('CSV', () => {
  const cases: Array<{ name: string; content: string | Buffer; expected: Array<[line: number, email: string | undefined, name: string | undefined]> }> = [
    { name: 'plain', content: 'Email,Name\na@x.com,Ana\nb@x.com,Bo\n', expected: [[2, 'a@x.com', 'Ana'], [3, 'b@x.com', 'Bo']] },
    { name: 'no final newline', content: 'Email,Name\na@x.com,Ana', expected: [[2, 'a@x.com', 'Ana']] },
    { name: 'CRLF', content: 'Email,Name\r\na@x.com,Ana\r\nb@x.com,Bo\r\n', expected: [[2, 'a@x.com', 'Ana'], [3, 'b@x.com', 'Bo']] },
    { name: 'UTF-8 BOM', content: '\ufeffEmail,Name\na@x.com,Zoë\n', expected: [[2, 'a@x.com', 'Zoë']] },
    {
      name: 'quotes, commas and doubled quotes',
      content: 'Email,Name\n"a@x.com","Doe, ""Jo"""\n',
      expected: [[2, 'a@x.com', 'Doe, "Jo"']],
    },
    {
      name: 'embedded newlines keep later line numbers right',
      content: 'Email,Name\na@x.com,"two\nlines"\nb@x.com,"three\nmore\nlines"\nc@x.com,C\n',
      expected: [[2, 'a@x.com', 'two\nlines'], [4, 'b@x.com', 'three\nmore\nlines'], [7, 'c@x.com', 'C']],
    },
    {
      name: 'embedded CRLF in a CRLF file',
      content: 'Email,Name\r\na@x.com,"two\r\nlines"\r\n\r\nb@x.com,B\r\n',
      expected: [[2, 'a@x.com', 'two\r\nlines'], [5, 'b@x.com', 'B']],
    },
    { name: 'blank lines are skipped, numbering kept', content: 'Email,Name\n\na@x.com,A\n\n\nb@x.com,B\n', expected: [[3, 'a@x.com', 'A'], [6, 'b@x.com', 'B']] },
    { name: 'header only is an empty segment', content: 'Email,Name\n', expected: [] },
    { name: 'other columns and order', content: 'Id,Name,Email\n7,Ana,a@x.com\n', expected: [[2, 'a@x.com', 'Ana']] },
    { name: 'header names are trimmed', content: ' Email , Name\na@x.com,A\n', expected: [[2, 'a@x.com', 'A']] },
    { name: 'empty field stays empty (normalisation drops it)', content: 'Email,Name\na@x.com,\n', expected: [[2, 'a@x.com', '']] },
  ];
  it.each(cases)('$name', async ({ name, content, expected }) => {
    const records = await readAll(file(`${name.replace(/\W+/g, '-')}.csv`, content), { columns: cols });
    expect(records.map((r) => [r.line, r.values['Email'], r.values['Name']])).toEqual(expected);
  });

  it('reads a file larger than one read chunk, with a multi-byte character across the boundary', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `u${i}@x.com,Zoë Ñúñez ${i}`);
    const records = await readAll(file('big.csv', `Email,Name\n${rows.join('\n')}\n`), { columns: cols });
    expect(records).toHaveLength(20_000);
    expect(records[19_999]).toEqual({ line: 20_001, values: { Email: 'u19999@x.com', Name: 'Zoë Ñúñez 19999' } });
    expect(records.every((r) => r.values['Name']!.startsWith('Zoë Ñúñez'))).toBe(true);
  });
});

describe('NDJSON', () => {
  it('reads one object per line, skipping blank lines; values become strings', async () => {
    const content = '{"Email":"a@x.com","Name":"Ana"}\n\n{"Email":"b@x.com","Name":null,"Other":1}\r\n{"Email":42,"Name":true}';
    const records = await readAll(file('a.ndjson', content), { columns: cols });
    expect(records).toEqual([
      { line: 1, values: { Email: 'a@x.com', Name: 'Ana' } },
      { line: 3, values: { Email: 'b@x.com', Name: undefined } },
      { line: 4, values: { Email: '42', Name: 'true' } },
    ]);
  });
  it('accepts .jsonl and an empty file (no profiles)', async () => {
    expect(await readAll(file('a.jsonl', '{"Email":"a@x.com","Name":"A"}\n'), { columns: cols })).toHaveLength(1);
    expect(await readAll(file('empty.ndjson', ''), { columns: cols })).toEqual([]);
  });
});

describe('JSON array (streamed)', () => {
  it('splits top-level elements, with brackets, braces and escaped quotes inside strings', async () => {
    const content = [
      '[',
      '  {"Email": "a@x.com", "Name": "x]\\"},{[\\\\"},',
      '  {"Email": "b@x.com",',
      '   "Name": {"nested": [1, {"deep": "]"}]}},',
      '  {"Email": "c@x.com", "Name": 3.5}',
      ']',
      '',
    ].join('\n');
    const records = await readAll(file('a.json', content), { columns: cols });
    expect(records).toEqual([
      { line: 2, values: { Email: 'a@x.com', Name: 'x]"},{[\\' } },
      // An object in a field is a row error, not JSON text sent as a name (issue 13, item 4).
      { line: 3, values: { Email: 'b@x.com', Name: undefined }, problem: 'key Name holds a JSON object; only text, numbers, booleans and arrays of them can be sent' },
      { line: 5, values: { Email: 'c@x.com', Name: '3.5' } },
    ]);
  });
  it('reads an empty array and a BOM, and elements split across read chunks', async () => {
    expect(await readAll(file('empty.json', '\ufeff [ ] \n'), { columns: cols })).toEqual([]);
    const elements = Array.from({ length: 5000 }, (_, i) => `{"Email":"u${i}@x.com","Name":"Ñ \\"${i}\\" ]"}`);
    const records = await readAll(file('big.json', `[${elements.join(',\n')}]`), { columns: cols });
    expect(records).toHaveLength(5000);
    expect(records[4999]).toEqual({ line: 5000, values: { Email: 'u4999@x.com', Name: 'Ñ "4999" ]' } });
  });
});

describe('errors name the file, the line and what to do', () => {
  const latin1 = Buffer.concat([Buffer.from('Email,Name\na@x.com,A\nb@x.com,Caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
  const cases: Array<{ case: string; name: string; content: string | Buffer; message: RegExp; line?: number; hint: RegExp }> = [
    {
      case: 'mapped column missing',
      name: 'missing.csv',
      content: 'email,Name\na@x.com,A\n',
      message: /column Email not found; the header has columns 'email', 'Name'/,
      line: 1,
      hint: /mapping:/,
    },
    {
      case: 'semicolon-separated',
      name: 'semi.csv',
      content: 'Email;Name;Phone\na@x.com;A;1\n',
      message: /columns Email, Name not found; the header has one column 'Email;Name;Phone'/,
      line: 1,
      hint: /looks `;`-separated/,
    },
    { case: 'tab-separated', name: 'tab.csv', content: 'Email\tName\n', message: /not found/, line: 1, hint: /looks tab-separated/ },
    { case: 'empty file', name: 'empty.csv', content: '', message: /empty: there is no header row/, hint: /header/ },
    { case: 'duplicate header', name: 'dup.csv', content: 'Email,Name,Email\n', message: /names column 'Email' twice \(columns 1 and 3\)/, line: 1, hint: /rename/ },
    { case: 'row with more fields', name: 'wide.csv', content: 'Email,Name\na@x.com,A\nb@x.com,Doe, Jo\n', message: /line 3 has 3 fields but the header has 2 columns/, line: 3, hint: /quote/ },
    { case: 'row with fewer fields', name: 'narrow.csv', content: 'Email,Name\na@x.com,"A\nB"\nb@x.com\n', message: /line 4 has 1 fields/, line: 4, hint: /quote/ },
    { case: 'invalid UTF-8', name: 'latin1.csv', content: latin1, message: /invalid UTF-8 \(byte 33 of the file\)/, line: 3, hint: /UTF-8/ },
    { case: 'UTF-16', name: 'utf16.csv', content: Buffer.from('\ufeffEmail,Name\n', 'utf16le'), message: /UTF-16/, line: 1, hint: /UTF-8/ },
    { case: 'binary data', name: 'bin.csv', content: Buffer.from([0x45, 0x6d, 0x0a, 0x00, 0x01, 0x02]), message: /binary data/, line: 2, hint: /text file/ },
    { case: 'gzip', name: 'gz.csv', content: Buffer.from([0x1f, 0x8b, 0x08, 0x00]), message: /gzip/, hint: /decompress/ },
    { case: 'xlsx', name: 'book.csv', content: Buffer.from('PK\x03\x04rest'), message: /Excel/, hint: /CSV UTF-8/ },
    {
      case: 'field larger than 1 MB (an unclosed quote)',
      name: 'huge.csv',
      content: `Email,Name\na@x.com,A\nb@x.com,"${'x'.repeat(1024 * 1024 + 10)}\n`,
      message: /record starting at line 3 is larger than 1 MB/,
      line: 3,
      hint: /quote/,
    },
    { case: 'quote never closed', name: 'open.csv', content: 'Email,Name\na@x.com,"A\n', message: /quote opened in the record starting at line 2/, line: 2, hint: /close the quote/ },
    { case: 'stray quote', name: 'stray.csv', content: 'Email,Name\na@x.com,"A"B\n', message: /invalid CSV at line 2/, line: 2, hint: /double quotes/ },
    { case: 'unknown extension', name: 'seg.xlsx', content: 'x', message: /unsupported segment file type '.xlsx'/, hint: /\.csv, \.ndjson/ },
    { case: 'NDJSON malformed', name: 'bad.ndjson', content: '{"Email":"a@x.com"}\n{"Email": "b@x.com",}\n', message: /malformed JSON on line 2/, line: 2, hint: /one complete JSON object/ },
    { case: 'NDJSON that is an array', name: 'arr.ndjson', content: '[\n{"Email":"a@x.com"}\n]\n', message: /malformed JSON on line 1/, line: 1, hint: /name it \.json/ },
    { case: 'NDJSON non-object line', name: 'num.ndjson', content: '{"Email":"a@x.com","Name":"A"}\n42\n', message: /line 2 is not a JSON object/, line: 2, hint: /one JSON object/ },
    { case: 'NDJSON invalid UTF-8', name: 'latin1.ndjson', content: Buffer.concat([Buffer.from('{"Email":"a@x.com","Name":"A"}\n{"Name":"Caf'), Buffer.from([0xe9, 0x22, 0x7d, 0x0a])]), message: /invalid UTF-8/, line: 2, hint: /UTF-8/ },
    { case: 'NDJSON mapped key in no profile', name: 'keys.ndjson', content: '{"email":"a@x.com","Name":"A"}\n', message: /key Email is in none of the 1 profiles; the first profile has keys 'email', 'Name'/, hint: /mapping:/ },
    { case: 'JSON malformed element', name: 'bad.json', content: '[\n  {"Email": "a@x.com", "Name": "A"},\n  {"Email": "b@x.com" "Name": "B"}\n]', message: /malformed JSON/, line: 3, hint: /fix the JSON/ },
    { case: 'JSON not an array', name: 'obj.json', content: '{"Email":"a@x.com"}\n', message: /expected a JSON array/, line: 1, hint: /\.ndjson/ },
    { case: 'JSON truncated', name: 'trunc.json', content: '[\n{"Email":"a@x.com","Name":"A"},\n{"Email":"b@', message: /ends before the array is closed/, line: 3, hint: /truncated/ },
    { case: 'JSON missing comma', name: 'comma.json', content: '[{"Email":"a@x.com","Name":"A"}\n {"Email":"b@x.com","Name":"B"}]', message: /expected `,` or `]`/, line: 2, hint: /commas/ },
    { case: 'JSON trailing comma', name: 'trail.json', content: '[{"Email":"a@x.com","Name":"A"},]', message: /comma is followed by `]`/, line: 1, hint: /trailing comma/ },
    { case: 'JSON element not an object', name: 'strs.json', content: '[\n"a@x.com"\n]', message: /element starting at line 2 is not an object/, line: 2, hint: /profile object/ },
    { case: 'JSON data after the array', name: 'after.json', content: '[]\n[]', message: /after the end of the array/, line: 2, hint: /exactly one array/ },
    { case: 'JSON empty file', name: 'empty.json', content: '', message: /empty/, line: 1, hint: /\[\]/ },
  ];
  it.each(cases)('$case', async ({ name, content, message, line, hint }) => {
    const path = file(name, content);
    const err = await readError(path, { columns: cols, displayFile: `segments/${name}` });
    expect(err).toBeInstanceOf(SegmentError);
    expect(err.message).toMatch(message);
    expect(err.message.startsWith(`segments/${name}`)).toBe(true);
    expect(err['file']).toBe(`segments/${name}`);
    expect(err['line']).toBe(line);
    expect(err['hint']).toMatch(hint);
  });

  it('a missing file and a directory', async () => {
    const missing = await readError(join(dirname(file('x.csv', '')), 'nope.csv'), { columns: cols, displayFile: 'nope.csv' });
    expect(missing.message).toBe('nope.csv: segment file not found');
    expect(missing['hint']).toMatch(/relative path is resolved from the folder of the config file/);
    const dir = join(dirname(file('x.csv', '')), 'folder.csv');
    mkdirSync(dir);
    const isDir = await readError(dir, { columns: cols, displayFile: 'folder.csv' });
    expect(isDir.message).toBe('folder.csv: is a directory, not a segment file');
  });
});

describe('column names that are not safe object keys', () => {
  it('__proto__ is read as a plain column in CSV and JSON', async () => {
    const options = { columns: ['Email', '__proto__'] };
    const csv = await readAll(file('proto.csv', 'Email,__proto__\na@x.com,p\n'), options);
    expect(Object.getPrototypeOf(csv[0]!.values)).toBe(Object.prototype);
    expect(csv[0]!.values['__proto__']).toBe('p');
    const json = await readAll(file('proto.ndjson', '{"Email":"a@x.com","__proto__":"p","toString":"x"}\n'), options);
    expect(Object.getOwnPropertyDescriptor(json[0]!.values, '__proto__')?.value).toBe('p');
  });
});

/**
 * Planner.addRow counts a row that only repeats its list member as unchanged without normalising it (the path of
 * nearly every row of a re-export), and sends every other row through normalizeProfile and Planner.add;
 * Planner.addTextRows does the same for rows still in bytes (PostgreSQL's COPY text, DuckDB's tab-separated CSV)
 * by their prints (engine/segment/row-print.ts), decoding only the others. These tests hold the paths to the
 * same plans: rows and lists built to hit every edge of the shortcut (case, white
 * space of every kind, NUL bytes, lone surrogates, dotted capital I, invalid emails, duplicates, repeats on the
 * list, every list status, ActiveCampaign's other spellings of a value, rows out of list order).
 */
import { describe, expect, it } from 'vitest';
import type { MappingConfig } from '../../engine/config/model.ts';
import type { ListStatus, ObservedContact } from '../../engine/model.ts';
import { ObservedList } from '../../engine/observed-list.ts';
import { Planner } from '../../engine/plan.ts';
import { isSkippedRow, mappedColumns, normalizeProfile } from '../../engine/segment/normalize.ts';
import { duckDbCells } from '../../engine/segment/sources/duckdb-tsv.ts';
import { splitCopyLine } from '../../engine/segment/sources/postgres.ts';
import { TextRows } from '../../engine/segment/text-rows.ts';
import { compilePicker } from '../../engine/segment/csv.ts';
import { mulberry32 } from '../../emulator/prng.ts';

const mapping: MappingConfig = { email: 'E', firstName: 'F', lastName: 'L', phone: 'P', fields: { TIER: 'T', CITY: 'C' } };
const opts = { export: 'x', connection: 'c', listId: '1', onLeave: 'unsubscribe' as const };

type Row = { values: Record<string, string | undefined>; row: number; problem?: string };

/** Both paths over the same rows and list: the plan, and the rows with a valid email. */
function bothPaths(list: ObservedContact[], rows: Row[]) {
  const full = new Planner(ObservedList.of(list), opts);
  let fullValid = 0;
  for (const r of rows) {
    const item = normalizeProfile(r.values, mapping, r.row, r.problem);
    if (!isSkippedRow(item)) fullValid++;
    full.add(item);
  }
  const fast = new Planner(ObservedList.of(list), opts);
  let fastValid = 0;
  for (const r of rows) if (fast.addRow(r.values, r.row, mapping, r.problem)) fastValid++;
  return { full: full.finish(), fullValid, fast: fast.finish(), fastValid, repeated: fast.repeatedRows };
}

const columns = mappedColumns(mapping);
const pick = compilePicker(columns, columns.map((_, i) => i));

/** A cell as PostgreSQL's COPY TO writes it (text format): \N for NULL, backslash escapes. */
const copyCell = (v: string | undefined): string =>
  v === undefined ? '\\N' : v.replace(/[\\\t\n\r\b\f\v]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\b': '\\b', '\f': '\\f', '\v': '\\v' })[c]!);
/** A cell as DuckDB's CSV writer writes it (tab-delimited): NULL as nothing, quoted when it must be. */
const tsvCell = (v: string | undefined): string => (v === undefined ? '' : v === '' || /[\t\n\r"]/.test(v) || v.startsWith('#') ? `"${v.replaceAll('"', '""')}"` : v);

const DIALECTS: Array<[string, 'copy' | 'csv', (v: string | undefined) => string, (text: string) => Array<string | undefined>]> = [
  ['COPY text', 'copy', copyCell, (text) => {
    const out: Array<string | undefined> = new Array(columns.length);
    splitCopyLine(text, out, []);
    return out;
  }],
  ['DuckDB CSV', 'csv', tsvCell, (text) => duckDbCells(text, columns.length)],
];

/**
 * The rows as one batch of a text source's bytes (rows numbered from `firstLine` on), planned by addTextRows, and
 * the same bytes decoded and planned by the full path.
 */
function textPaths(list: ObservedContact[], rows: Row[]) {
  return DIALECTS.map(([name, dialect, cell, cells]) => {
    const text = rows.map((r) => columns.map((c) => cell(r.values[c])).join('\t')).join('\n');
    const bytes = Buffer.from(`${text}\n`);
    const starts = new Int32Array(rows.length);
    const ends = new Int32Array(rows.length);
    let at = 0;
    for (let i = 0; i < rows.length; i++) {
      // Rows end at a newline outside quotes; every newline in a value is escaped or quoted.
      let end = at;
      let quoted = false;
      while (quoted || bytes[end] !== 0x0a) {
        if (bytes[end] === 0x22 && dialect === 'csv') quoted = !quoted;
        end++;
      }
      starts[i] = at;
      ends[i] = end;
      at = end + 1;
    }
    const batch = new TextRows({ bytes, starts, ends, length: rows.length }, rows[0]!.row, {
      columns,
      verbatim: true,
      decode: (b, start, end, line) => ({ line, values: pick(cells(b.toString('utf8', start, end)) as string[]) }),
    });
    const full = new Planner(ObservedList.of(list), opts);
    for (let i = 0; i < batch.length; i++) {
      const r = batch.record(i);
      full.add(normalizeProfile(r.values, mapping, r.line));
    }
    // The list made for the mapping, as observe-list.ts makes it: the members' prints are taken as it is read.
    const text_ = new Planner(ObservedList.of(list, mapping), opts);
    text_.addTextRows(batch, mapping);
    return { name, full: full.finish(), text: text_.finish(), repeated: text_.repeatedRows };
  });
}

function member(i: number, email: string, status: ListStatus, values: Partial<ObservedContact> = {}): ObservedContact {
  return { id: String(i), email, key: email.trim().toLowerCase(), listStatus: status, managed: i % 5 !== 0, unsubscribedByAcsync: i % 3 === 0, ...values };
}

describe('Planner.addRow and the full path give the same plan', () => {
  it.each([
    ['the same row', { E: 'a@x.com', F: 'Ana', T: 'gold' }, { firstName: 'Ana', fields: { TIER: 'gold' } }, 'noop'],
    ['the email in another case', { E: 'A@X.com', F: 'Ana' }, { firstName: 'Ana' }, 'noop'],
    ['values with spaces around them', { E: ' a@x.com\t', F: ' Ana ', T: '\u00a0gold' }, { firstName: 'Ana', fields: { TIER: 'gold' } }, 'noop'],
    ['blank and missing values', { E: 'a@x.com', F: '   ', L: '', T: undefined }, { firstName: 'Ana', lastName: 'Lopez', fields: { TIER: 'gold' } }, 'noop'],
    ['a changed value', { E: 'a@x.com', F: 'Anna' }, { firstName: 'Ana' }, 'update'],
    ['a value the member lacks', { E: 'a@x.com', C: 'Lyon' }, {}, 'update'],
    ['a phone in another form', { E: 'a@x.com', P: '+1 (555) 010-0200' }, { phone: '+15550100200' }, 'noop'],
    ['a NUL in a value', { E: 'a@x.com', F: 'An\u0000a' }, { firstName: 'Ana' }, 'skip'],
    ['a NUL in a value the member has too', { E: 'a@x.com', F: 'An\u0000a' }, { firstName: 'An\u0000a' }, 'skip'],
    ['a lone surrogate the member has too', { E: 'a@x.com', F: 'A\ud800' }, { firstName: 'A\ud800' }, 'skip'],
    ['an invalid email on the list too', { E: 'a..b@x.com' }, {}, 'skip'],
    // A source's escaping makes these bytes alike: COPY writes a tab as backslash-t, DuckDB quotes a leading '#'.
    ['a tab where the member has a backslash and a t', { E: 'a@x.com', F: 'a\tb', L: '', P: '', T: '', C: '' }, { firstName: 'a\\tb' }, 'update'],
    ['a value DuckDB quotes where the member has the quotes', { E: 'a@x.com', F: '#q' }, { firstName: '"#q"' }, 'update'],
    ['a row with every value of its member, in upper case', { E: 'A@X.COM', F: 'Ana', L: 'Lopez' }, { firstName: 'Ana', lastName: 'Lopez' }, 'noop'],
  ] as const)('%s', (_name, values, have, expected) => {
    const list = [member(1, typeof values.E === 'string' ? values.E.trim().toLowerCase() : '', 1, have as Partial<ObservedContact>)];
    const r = bothPaths(list, [{ values: { ...values }, row: 2 }]);
    expect(r.fast).toEqual(r.full);
    expect(r.fastValid).toBe(r.fullValid);
    const action = r.full.counts.noop === 1 ? 'noop' : r.full.changes[0]?.action;
    expect(action).toBe(expected);
    for (const t of textPaths(list, [{ values: { ...values }, row: 2 }])) expect(t.text, t.name).toEqual(t.full);
  });

  it('a reader problem is never a repeat', () => {
    const list = [member(1, 'a@x.com', 1, { firstName: 'Ana' })];
    const r = bothPaths(list, [{ values: { E: 'a@x.com', F: 'Ana' }, row: 2, problem: 'column F holds a JSON object' }]);
    expect(r.fast).toEqual(r.full);
    expect(r.full.changes[0]?.reasonCode).toBe('invalid-value');
  });

  it('a second row for a member already repeated is a duplicate of the first, on both paths', () => {
    const list = [member(1, 'a@x.com', 1, { firstName: 'Ana' }), member(2, 'b@x.com', 1)];
    const rows = [
      { values: { E: 'a@x.com', F: 'Ana' }, row: 2 },
      { values: { E: 'b@x.com' }, row: 3 },
      { values: { E: 'A@x.com', F: 'Ana' }, row: 4 },
      { values: { E: 'a@x.com', F: 'Other' }, row: 5 },
    ];
    const r = bothPaths(list, rows);
    expect(r.fast).toEqual(r.full);
    expect(r.full.changes.map((c) => c.reason)).toEqual(['duplicate of row 2', 'duplicate of row 2']);
  });

  // Pieces the random rows are made of: each one hits a rule of normalizeProfile or of the shortcut.
  const SPACES = ['', ' ', '\t', '\u00a0', '\ufeff', '\u2028', '\n'];
  const LOCALS = ['ana', 'Ana', 'ANA', 'b.c', 'İ', 'ı', 'é', 'x\u0000', 'y\ud800', 'a..b', '.a', 'a b', 'a<b', ''];
  const DOMAINS = ['x.com', 'X.COM', 'y.org', 'nodot', 'a..b.com', 'é.fr'];
  /** Mostly a plain distinct address, sometimes one made of the pieces above. */
  const address = (rnd: () => number, i: number, pick: <T>(xs: readonly T[]) => T): string =>
    rnd() < 0.3 ? `${pick(LOCALS)}${i % 7}@${pick(DOMAINS)}` : `${pick(['p', 'P', 'q.r', 'É'])}${i}@${pick(['x.com', 'X.com', 'z.example'])}`;
  // The last ones are spelled alike by a text source once escaped or quoted: a tab and a backslash-t, \N, quotes.
  const VALUES = ['Ana', 'ana', ' Ana ', '', '  ', 'Lyon', 'gold', 'An\u0000a', 'A\ud800', '\u00a0gold', '2024-01-02', '2024-01-02 00:00:00', '1.50', '1.5', 'a||b', 'b||a', 'a\tb', 'a\\tb', '\\N', '""', '"q"', '#x'];

  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])('random rows and lists, seed %i', (seed) => {
    const rnd = mulberry32(seed);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const maybe = (): string | undefined => (rnd() < 0.2 ? undefined : pick(VALUES));
    const emails = Array.from({ length: 240 }, (_, i) => address(rnd, i, pick));
    const list: ObservedContact[] = [];
    for (let i = 1; i <= 200; i++) {
      // A few repeats on the list: the same address twice, in another case.
      const email = rnd() < 0.05 ? pick(emails) : emails[i]!;
      const fields: Record<string, string> = {};
      for (const tag of ['TIER', 'CITY']) {
        const v = maybe();
        if (v !== undefined && v !== '') fields[tag] = v;
      }
      const extra: Partial<ObservedContact> = { fields };
      for (const f of ['firstName', 'lastName', 'phone'] as const) {
        const v = maybe();
        if (v !== undefined && v !== '') extra[f] = v;
      }
      list.push(member(i, rnd() < 0.5 ? email : email.toLowerCase(), pick([0, 1, 1, 1, 1, 1, 1, 2, 3] as const), extra));
    }
    const rows: Row[] = [];
    for (let row = 2; row < 400; row++) {
      // Mostly rows built from a list member (in list order, as a re-export reads), some from anywhere.
      const m = rnd() < 0.7 ? list[(row - 2) % list.length]! : undefined;
      const around = (v: string | undefined): string | undefined => (v === undefined || rnd() < 0.5 ? v : `${pick(SPACES)}${v}${pick(SPACES)}`);
      const keepOr = (have: string | undefined): string | undefined => (m !== undefined && rnd() < 0.93 ? around(have) : maybe());
      const email = m !== undefined && rnd() < 0.8 ? around(rnd() < 0.5 ? m.email : m.email.toUpperCase()) : around(pick(emails));
      const values = { E: email, F: keepOr(m?.firstName), L: keepOr(m?.lastName), P: keepOr(m?.phone), T: keepOr(m?.fields?.['TIER']), C: keepOr(m?.fields?.['CITY']) };
      rows.push({ values, row, ...(rnd() < 0.02 ? { problem: 'column F holds a JSON object' } : {}) });
    }
    const r = bothPaths(list, rows);
    expect(r.fast).toEqual(r.full);
    expect(r.fastValid).toBe(r.fullValid);
    // The shortcut was taken, and not for every noop, so the comparison is not vacuous either way.
    expect(r.repeated).toBeGreaterThan(10);
    expect(r.repeated).toBeLessThan(r.full.counts.noop);
    for (const t of textPaths(list, rows)) {
      expect(t.text, t.name).toEqual(t.full);
      expect(t.repeated, t.name).toBeGreaterThan(10);
      expect(t.repeated, t.name).toBeLessThan(t.full.counts.noop);
    }
  });
});

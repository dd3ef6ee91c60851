import { describe, expect, it } from 'vitest';
import type { MappingConfig } from '../../engine/config/model.ts';
import { readDesiredContacts } from '../../engine/segment/desired.ts';
import { FileSegmentSource } from '../../engine/segment/file-source.ts';
import { emailProblem, mappedColumns, normalizeProfile, plainEmail, valueProblem } from '../../engine/segment/normalize.ts';
import { mulberry32 } from '../../emulator/prng.ts';
import { SegmentError } from '../../engine/segment/read.ts';
import { scratch } from './helpers.ts';

const mapping: MappingConfig = {
  email: 'Email',
  firstName: 'First',
  lastName: 'Last',
  phone: 'Phone',
  fields: { LOYALTY_TIER: 'Tier', CITY: 'City' },
};

describe('emailProblem', () => {
  it.each([
    ['ana@example.com', undefined],
    ['Ana.Maria+tag@sub.example.co.uk', undefined],
    ['zoë@exämple.de', undefined],
    ['ana.example.com', 'no @'],
    ['a@b@example.com', 'more than one @'],
    ['@example.com', 'nothing before the @'],
    ['ana@localhost', 'the domain has no dot'],
    ['ana maria@example.com', 'contains a space'],
    ['Ana <ana@example.com>', 'contains a space'],
    ['ana(work)@example.com', 'contains a character not allowed in an address'],
    ['ana..maria@example.com', 'two dots in a row'],
    ['ana@example..com', 'two dots in a row'],
    ['ana@example.com.', 'a dot at the start or end of a part'],
    ['ana.@example.com', 'a dot at the start or end of a part'],
    [`${'a'.repeat(243)}@example.com`, 'longer than 254 characters'],
    [`${'a'.repeat(242)}@example.com`, undefined],
  ])('%s → %s', (email, problem) => {
    expect(emailProblem(email)).toBe(problem);
  });
});

describe('plainEmail (the shortcut a list member is checked with)', () => {
  it('accepts only addresses every rule accepts, unchanged by trimming and lower-casing', () => {
    // Random strings over the characters the rules are about, and the cases above.
    const rnd = mulberry32(14);
    const alphabet = ['a', 'z', '0', '.', '.', '@', '@', '-', '+', '_', 'A', 'é', ' ', '\u0000', '\ud800', '<', '"', '(', ';', '\\', '[', '!', '~'];
    let accepted = 0;
    for (let i = 0; i < 50_000; i++) {
      const part = (max: number): string => {
        let p = '';
        for (let j = Math.floor(rnd() * max); j >= 0; j--) p += rnd() < 0.6 ? 'ab3'[j % 3] : alphabet[Math.floor(rnd() * alphabet.length)];
        return p;
      };
      const e = rnd() < 0.2 ? part(14) : `${part(6)}@${part(5)}.${part(3)}`;
      if (!plainEmail(e)) continue;
      accepted++;
      expect([e, emailProblem(e), valueProblem(e), e.trim(), e.toLowerCase()]).toEqual([e, undefined, undefined, e, e]);
    }
    expect(accepted).toBeGreaterThan(50);
    expect(plainEmail('ana@example.com')).toBe(true);
    expect(plainEmail('Ana@example.com')).toBe(false);
    expect(plainEmail(`${'a'.repeat(243)}@example.com`)).toBe(false);
    expect(plainEmail(`${'a'.repeat(242)}@example.com`)).toBe(true);
  });
});

describe('normalizeProfile', () => {
  it('trims, lower-cases the key, keeps the email as given, and drops empty values', () => {
    const values = { Email: '  Ana@Example.COM ', First: ' Ana ', Last: '', Phone: ' +1 (555) 010-0000 ', Tier: 'gold', City: '   ' };
    expect(normalizeProfile(values, mapping, 7)).toEqual({
      email: 'Ana@Example.COM',
      key: 'ana@example.com',
      row: 7,
      firstName: 'Ana',
      phone: '+1 (555) 010-0000',
      fields: { LOYALTY_TIER: 'gold' },
    });
  });
  it('leaves out custom fields entirely when every one is empty', () => {
    const c = normalizeProfile({ Email: 'a@x.com', Tier: '', City: undefined }, mapping, 2);
    expect(c).toEqual({ email: 'a@x.com', key: 'a@x.com', row: 2 });
  });
  it.each([
    [{ Email: '' }, 'missing-email', 'no email (column Email is empty)', ''],
    [{ Email: '   ' }, 'missing-email', 'no email (column Email is empty)', ''],
    [{}, 'missing-email', 'no email (column Email is empty)', ''],
    [{ Email: ' Bad@Example ' }, 'invalid-email', 'invalid email: the domain has no dot', 'Bad@Example'],
  ])('skips %j as %s', (values, reasonCode, reason, email) => {
    expect(normalizeProfile(values, mapping, 9)).toEqual({ row: 9, email, key: email.toLowerCase(), reasonCode, reason });
  });
  it('lists the mapped columns once, email first', () => {
    expect(mappedColumns({ email: 'E', firstName: 'N', lastName: 'N', fields: { A: 'E', B: 'X' } })).toEqual(['E', 'N', 'X']);
  });
});

describe('readDesiredContacts', () => {
  const file = scratch();
  const csv = ['Email,First,Last,Phone,Tier,City', 'a@x.com,Ana,,1,gold,', 'nope,Bo,,,,', ',Cy,,,,', 'd@x.com,Di,,,,', ''].join('\n');

  it('normalises every row of the segment in order', async () => {
    const out = [];
    for await (const batch of readDesiredContacts(new FileSegmentSource(file('s.csv', csv)), mapping)) out.push(...batch);
    expect(out.map((c) => [c.row, 'reasonCode' in c ? c.reasonCode : c.key])).toEqual([
      [2, 'a@x.com'],
      [3, 'invalid-email'],
      [4, 'missing-email'],
      [5, 'd@x.com'],
    ]);
  });
  it('refuses a segment over the profile limit, naming the line of the first profile too many', async () => {
    const path = file('s2.csv', csv);
    const run = async () => {
      for await (const batch of readDesiredContacts(new FileSegmentSource(path, 'seg.csv'), mapping, { maxProfiles: 3 })) void batch;
    };
    await expect(run()).rejects.toThrow(SegmentError);
    await expect(run()).rejects.toMatchObject({
      file: 'seg.csv',
      line: 5,
      message: 'seg.csv:5: the segment has more than 3 profiles (profile 4 is at line 5)',
      hint: expect.stringMatching(/split the segment into several exports/),
    });
    let n = 0;
    for await (const batch of readDesiredContacts(new FileSegmentSource(path), mapping, { maxProfiles: 4 })) n += batch.length;
    expect(n).toBe(4);
  });
});

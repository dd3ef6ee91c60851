import { describe, expect, it } from 'vitest';
import { stripVTControlCharacters } from 'node:util';
import { planSentence, renderExportPlan, renderPlanText } from '../../cli/report/plan-text.ts';
import { change, CONNECTION_NAMES, planOf, QUIET_PLAN, VIP_PLAN } from './sample-plans.ts';

const plain = { color: false, maskEmails: false, full: false, connectionNames: CONNECTION_NAMES };

describe('renderPlanText', () => {
  it('renders each export, grouped by kind, then the table and the Plan sentence (a wide terminal)', () => {
    expect(renderPlanText([VIP_PLAN, QUIET_PLAN], { ...plain, width: 120 })).toBe(
      [
        'vip-customers → list 3 on Contoso Marketing (contoso)',
        '  create 2 · update 1 · subscribe 1 · resubscribe 1 · unsubscribe 1 · skip 2 · unchanged 120',
        '',
        '  + create (2)',
        '    + anna@contoso.example     Anna Lind',
        '    + bo.berg@contoso.example',
        '',
        '  ~ update (1)',
        '    ~ carl@contoso.example',
        '        firstName     "Karl" → "Carl"',
        '        LOYALTY_TIER  (empty) → "gold"',
        '',
        '  > subscribe (1)',
        '    > dana@contoso.example  already a contact, not on the list',
        '',
        '  » resubscribe (1)',
        '    » erik@contoso.example  unsubscribed by acsync earlier, back in the segment',
        '',
        '  - unsubscribe (1)',
        '    - fay@contoso.example  left the segment',
        '',
        '  ! skip (2)',
        '    ! row 8  gus@contoso.example  unsubscribed in ActiveCampaign',
        '    ! row 9  (no email)           missing email',
        '',
        'lapsed-buyers → list 7 on Contoso Marketing (contoso)',
        '  create 0 · update 0 · subscribe 0 · resubscribe 0 · unsubscribe 0 · skip 0 · unchanged 54',
        '  no changes: the list matches the segment',
        '',
        '  export         list  connection         create  update  subscribe  resubscribe  unsubscribe  skip  unchanged',
        '  vip-customers     3  Contoso Marketing       2       1          1            1            1     2        120',
        '  lapsed-buyers     7  Contoso Marketing       0       0          0            0            0     0         54',
        '',
        'Plan: 2 to create, 1 to update, 1 to subscribe, 1 to resubscribe, 1 to unsubscribe (2 skipped, 174 unchanged).',
        '',
      ].join('\n'),
    );
  });

  it('cuts long groups and says how many are left and how to see them', () => {
    const many = planOf(
      'big',
      Array.from({ length: 25 }, (_, i) => change('create', `p${i}@contoso.example`)),
    );
    const text = renderExportPlan(many, { ...plain, limit: 3 });
    // The header, the counts in two lines at 80 columns, a blank line.
    expect(text.split('\n').slice(4)).toEqual([
      '  + create (25)',
      '    + p0@contoso.example',
      '    + p1@contoso.example',
      '    + p2@contoso.example',
      '    … and 22 more (use --full)',
    ]);
    expect(renderExportPlan(many, { ...plain, full: true })).not.toContain('more (use --full)');
    // The default limit is 20 per kind.
    expect(renderExportPlan(many, plain)).toContain('… and 5 more (use --full)');
  });

  it('at 80 columns (logs, pipes, files): no line wider, words never broken, the table in symbols with a legend', () => {
    const text = renderPlanText([VIP_PLAN, QUIET_PLAN], plain);
    const lines = text.split('\n');
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(lines).toContain('  create 2 · update 1 · subscribe 1 · resubscribe 1 · unsubscribe 1 · skip 2');
    expect(lines).toContain('  unchanged 120');
    expect(text).toContain(
      [
        '  export         list  connection         +  ~  >  »  -  !    =',
        '  vip-customers     3  Contoso Marketing  2  1  1  1  1  2  120',
        '  lapsed-buyers     7  Contoso Marketing  0  0  0  0  0  0   54',
        '  + create  ~ update  > subscribe  » resubscribe  - unsubscribe  ! skip',
        '  = unchanged',
        '',
        'Plan: 2 to create, 1 to update, 1 to subscribe, 1 to resubscribe, 1 to',
        '  unsubscribe (2 skipped, 174 unchanged).',
      ].join('\n'),
    );
    // Every word of the wide layout is still there, whole (the counts row drops its separator where it breaks).
    const words = (s: string) => s.split(/\s+/).filter((w) => w !== '' && w !== '·');
    const wide = renderExportPlan(VIP_PLAN, { ...plain, width: 200 });
    expect(words(renderExportPlan(VIP_PLAN, plain))).toEqual(words(wide));
  });

  it('masks emails, names and personal field values when asked', () => {
    const text = renderExportPlan(VIP_PLAN, { ...plain, maskEmails: true });
    expect(text).toContain('    + a***@contoso.example');
    expect(text).not.toContain('anna@');
    expect(text).not.toContain('Anna');
    expect(text).toContain('firstName     "K***" → "C***"');
    expect(text).toContain('LOYALTY_TIER  (empty) → "gold"');
    expect(text).toContain('! row 8  g***@contoso.example  unsubscribed in ActiveCampaign');
  });

  it('colours only when asked, and the colour carries no extra text', () => {
    const coloured = renderPlanText([VIP_PLAN], { ...plain, color: true });
    expect(coloured).toContain('\u001b[32m');
    expect(stripVTControlCharacters(coloured)).toBe(renderPlanText([VIP_PLAN], plain));
    expect(renderPlanText([VIP_PLAN], plain)).not.toContain('\u001b[');
  });
});

describe('planSentence', () => {
  it('says there is nothing to do when no export writes', () => {
    expect(planSentence([QUIET_PLAN])).toBe('No changes: the list matches its segment (0 skipped, 54 unchanged).');
    expect(planSentence([QUIET_PLAN, QUIET_PLAN])).toBe('No changes: every list matches its segment (0 skipped, 108 unchanged).');
  });
  it('adds thousands separators', () => {
    const big = planOf('big', [], { noop: 1_234_567 });
    expect(planSentence([big])).toContain('1,234,567 unchanged');
  });
});

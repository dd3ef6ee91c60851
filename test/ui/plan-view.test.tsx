/* @jsxRuntime automatic @jsxImportSource react */
// The pragma keeps JSX working when tsx cannot find our tsconfig (acsync run from another folder).
import { describe, expect, it } from 'vitest';
import { stripVTControlCharacters } from 'node:util';
import { render } from 'ink-testing-library';
import { ExportPlanView } from '../../cli/ui/ExportPlanView.tsx';
import { FieldDiff } from '../../cli/ui/FieldDiff.tsx';
import { PlanSummaryView } from '../../cli/ui/PlanSummaryView.tsx';
import { renderExportPlan } from '../../cli/report/plan-text.ts';
import { CONNECTION_NAMES, QUIET_PLAN, VIP_PLAN } from '../report/sample-plans.ts';

const frame = (f: string | undefined) => stripVTControlCharacters(f ?? '');

describe('ExportPlanView', () => {
  it('shows the same content as the text renderer', () => {
    const options = { maskEmails: false, full: false, connectionNames: CONNECTION_NAMES };
    const { lastFrame, unmount } = render(<ExportPlanView plan={VIP_PLAN} options={options} />);
    const ink = frame(lastFrame()).split('\n').map((l) => l.trimEnd());
    // ink-testing-library draws 100 columns wide: the text laid out for the same width.
    const text = renderExportPlan(VIP_PLAN, { ...options, color: false, width: 100 }).split('\n');
    expect(ink.filter((l) => l !== '')).toEqual(text.filter((l) => l !== ''));
    unmount();
  });

  it('truncates with a count and masks when asked', () => {
    const { lastFrame, unmount } = render(<ExportPlanView plan={VIP_PLAN} options={{ maskEmails: true, full: false, limit: 1 }} />);
    const f = frame(lastFrame());
    expect(f).toContain('+ a***@contoso.example');
    expect(f).toContain('… and 1 more (use --full)');
    expect(f).not.toContain('bo.berg');
    expect(f).not.toContain('Anna');
    unmount();
  });

  it('says when there is nothing to change', () => {
    const { lastFrame, unmount } = render(<ExportPlanView plan={QUIET_PLAN} options={{ maskEmails: false, full: false }} />);
    expect(frame(lastFrame())).toContain('no changes: the list matches the segment');
    unmount();
  });
});

describe('FieldDiff', () => {
  it('highlights only the changed words', () => {
    const { lastFrame, unmount } = render(<FieldDiff change={{ field: 'TIER', before: 'silver member', after: 'gold member' }} fieldWidth={6} />);
    const raw = lastFrame() ?? '';
    expect(frame(raw)).toBe('TIER    "silver member" → "gold member"');
    if (raw !== frame(raw)) {
      // With colour on (FORCE_COLOR), the unchanged word is not painted as removed or added.
      expect(raw).toMatch(/silver/);
      expect(raw).not.toMatch(/\u001b\[[0-9;]*m member\u001b\[22m/);
    }
    unmount();
  });

  it('shows an absent value as (empty)', () => {
    const { lastFrame, unmount } = render(<FieldDiff change={{ field: 'TIER', after: 'gold' }} fieldWidth={4} />);
    expect(frame(lastFrame())).toBe('TIER  (empty) → "gold"');
    unmount();
  });
});

describe('PlanSummaryView', () => {
  it('aligns the table and ends with the Plan sentence; narrow terminals get symbols as column titles', () => {
    const { lastFrame, unmount } = render(<PlanSummaryView plans={[VIP_PLAN, QUIET_PLAN]} connectionNames={CONNECTION_NAMES} />);
    // ink-testing-library draws 100 columns wide; the full titles would need 108.
    expect(frame(lastFrame()).split('\n').map((l) => l.trimEnd())).toEqual([
      '  export         list  connection         +  ~  >  »  -  !    =',
      '  vip-customers     3  Contoso Marketing  2  1  1  1  1  2  120',
      '  lapsed-buyers     7  Contoso Marketing  0  0  0  0  0  0   54',
      // The symbols get a legend (issue 16, item 11).
      '  + create  ~ update  > subscribe  » resubscribe  - unsubscribe  ! skip  = unchanged',
      '',
      // The sentence wraps at a word, like any text in a narrow terminal.
      'Plan: 2 to create, 1 to update, 1 to subscribe, 1 to resubscribe, 1 to unsubscribe (2 skipped, 174',
      'unchanged).',
    ]);
    unmount();
  });
});

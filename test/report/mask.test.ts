import { describe, expect, it } from 'vitest';
import { maskChange, maskEmail, maskEvent, maskResult } from '../../cli/report/mask.ts';
import { VIP_PLAN } from './sample-plans.ts';

describe('maskEmail', () => {
  it.each([
    ['anna@contoso.example', 'a***@contoso.example'],
    ['A@b.example', 'A***@b.example'],
    ['no-at-sign', 'n***'],
    ['@contoso.example', '@***'],
    ['', ''],
    ['😀x@contoso.example', '😀***@contoso.example'],
    ['a@b@c.example', 'a***@c.example'],
  ])('%s → %s', (input, expected) => {
    expect(maskEmail(input)).toBe(expected);
  });
});

describe('masking structured output', () => {
  it('masks a change: email, key, personal fields; custom fields stay readable', () => {
    const c = VIP_PLAN.changes.find((x) => x.action === 'update')!;
    const masked = maskChange({ ...c, after: { email: 'carl@contoso.example', firstName: 'Carl', phone: '+46701234567', fields: { LOYALTY_TIER: 'gold' } } });
    expect(masked.email).toBe('c***@contoso.example');
    expect(masked.key).toBe('c***@contoso.example');
    expect(masked.after).toEqual({ email: 'c***@contoso.example', firstName: 'C***', phone: '+***', fields: { LOYALTY_TIER: 'gold' } });
    expect(masked.fieldChanges).toEqual([
      { field: 'firstName', before: 'K***', after: 'C***' },
      { field: 'LOYALTY_TIER', after: 'gold' },
    ]);
  });

  it('leaves no full address in a masked event or result', () => {
    const event = JSON.stringify(maskEvent({ type: 'plan:done', export: 'vip', plan: VIP_PLAN }));
    const failed = JSON.stringify(maskEvent({ type: 'change:failed', export: 'vip', email: 'anna@contoso.example', action: 'create', reason: 'x' }));
    const result = JSON.stringify(
      maskResult({
        mode: 'apply',
        ok: false,
        changesPending: true,
        exports: [
          {
            export: 'vip',
            connection: 'c',
            listId: '3',
            plan: VIP_PLAN,
            failures: [{ email: 'anna@contoso.example', action: 'create', reason: 'x' }],
            durationMs: 1,
          },
        ],
      }),
    );
    for (const text of [event, failed, result]) {
      expect(text).not.toMatch(/[a-z.]{2,}@contoso\.example/);
      expect(text).toContain('***@contoso.example');
    }
  });
});

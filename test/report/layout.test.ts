import { describe, expect, it } from 'vitest';
import { wrapText } from '../../cli/report/layout.ts';

describe('wrapText', () => {
  it('breaks between words, continuations under the line’s indent plus two', () => {
    expect(wrapText('  hint: set AC_API_KEY to the API key of 127.0.0.1:4010 (ActiveCampaign: Settings > Developer)', 40)).toBe(
      ['  hint: set AC_API_KEY to the API key of', '    127.0.0.1:4010 (ActiveCampaign:', '    Settings > Developer)'].join('\n'),
    );
  });

  it('keeps a stack frame whole, however long the checkout path (a bug report copies it as it is)', () => {
    const frame = `    at planExportChanges (${'/a/very/long/checkout/path'.repeat(3)}/engine/pipeline/plan-export.ts:32:24)`;
    expect(wrapText(`TypeError: boom\n${frame}`, 80)).toBe(`TypeError: boom\n${frame}`);
  });
});

import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { escapeData, escapeProperty, formatAnnotation, renderStepSummary, writeStepSummary } from '../../cli/report/github.ts';
import type { RunResult } from '../../engine/model.ts';
import { CONNECTION_NAMES, QUIET_PLAN, VIP_PLAN } from './sample-plans.ts';

describe('workflow command escaping', () => {
  it('escapes %, CR and LF in data, and also : and , in properties', () => {
    expect(escapeData('100% done\r\nnext')).toBe('100%25 done%0D%0Anext');
    expect(escapeProperty('a:b,c%\n')).toBe('a%3Ab%2Cc%25%0A');
    // % first: escaping it after the others would double-escape their %.
    expect(escapeData('%0A')).toBe('%250A');
  });

  it('formats an error with file, line, column and title, the hint on a second line', () => {
    expect(
      formatAnnotation({
        severity: 'error',
        file: 'configs/acsync.yaml',
        line: 7,
        column: 14,
        path: 'exports.vip.listId',
        message: 'must be a list id, got "abc"',
        hint: 'use the number, e.g. 3',
      }),
    ).toBe('::error file=configs/acsync.yaml,line=7,col=14,title=acsync%3A exports.vip.listId::must be a list id, got "abc"%0Ahint: use the number, e.g. 3');
  });

  it('leaves out the position of whole-file problems and escapes a file name with a comma', () => {
    expect(formatAnnotation({ severity: 'warning', file: 'a,b.yaml', line: 0, column: 0, path: '', message: 'cannot read: 50% chance' })).toBe(
      '::warning file=a%2Cb.yaml,title=acsync::cannot read: 50%25 chance',
    );
  });
});

const result: RunResult = {
  mode: 'plan',
  ok: false,
  changesPending: true,
  exports: [
    { export: 'vip-customers', connection: 'contoso', listId: '3', plan: VIP_PLAN, durationMs: 10 },
    { export: 'lapsed-buyers', connection: 'contoso', listId: '7', plan: QUIET_PLAN, durationMs: 10 },
    { export: 'broken|pipe', connection: 'contoso', listId: '9', error: { kind: 'remote', message: 'list 9 not found', hint: 'check listId' }, durationMs: 10 },
  ],
};

describe('step summary', () => {
  it('has a counts table per export, the Plan sentence, and collapsed details', () => {
    const md = renderStepSummary(result, { maskEmails: true, full: false, connectionNames: CONNECTION_NAMES });
    const lines = md.split('\n');
    expect(lines[0]).toBe('## ❌ acsync plan');
    expect(lines).toContain('| export | list | connection | create | update | subscribe | resubscribe | unsubscribe | skip | unchanged |');
    expect(lines).toContain('| vip-customers | 3 | Contoso Marketing | 2 | 1 | 1 | 1 | 1 | 2 | 120 |');
    expect(lines).toContain('| broken\\|pipe ⚠️ | 9 | Contoso Marketing | - | - | - | - | - | - | - |');
    expect(md).toContain(
      '**Plan: 2 to create, 1 to update, 1 to subscribe, 1 to resubscribe, 1 to unsubscribe (2 skipped, 174 unchanged); 1 export could not be planned.**',
    );
    expect(md).toContain('<details><summary>vip-customers: 6 changes, 2 skipped</summary>');
    expect(md).toContain('✗ broken|pipe: list 9 not found');
    expect(md).toContain('a***@contoso.example');
    expect(md).not.toContain('anna@contoso.example');
  });

  it('is appended to $GITHUB_STEP_SUMMARY only inside GitHub Actions', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'acsync-gh-'));
    try {
      const file = join(dir, 'summary.md');
      expect(await writeStepSummary(result, { maskEmails: false, full: false }, { GITHUB_STEP_SUMMARY: file })).toBe(false);
      expect(await writeStepSummary(result, { maskEmails: false, full: false }, { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: file })).toBe(true);
      expect(await writeStepSummary(result, { maskEmails: false, full: false }, { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: file })).toBe(true);
      const text = await readFile(file, 'utf8');
      expect(text.match(/## ❌ acsync plan/g)).toHaveLength(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

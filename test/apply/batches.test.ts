/** Batch packing against ActiveCampaign's bulk import limits, as the client will check the payload. */
import { describe, expect, it } from 'vitest';
import { BULK_IMPORT_MAX_BYTES, BULK_IMPORT_MAX_CONTACTS } from '../../engine/activecampaign/limits.ts';
import { packBatches } from '../../engine/apply/batches.ts';
import { toEntry } from '../../engine/apply/payloads.ts';
import type { Change } from '../../engine/model.ts';

const input = { listId: '1', fieldIds: new Map([['NOTE', '7']]) };

function change(i: number, noteBytes: number): Change {
  const email = `person${i}@contoso.example`;
  return { action: 'create', email, key: email, after: { email, firstName: 'Ana', fields: { NOTE: 'x'.repeat(noteBytes) } } };
}

const payloadBytes = (batch: Array<{ contact: unknown }>, excludeAutomations = false) =>
  Buffer.byteLength(JSON.stringify({ contacts: batch.map((e) => e.contact), exclude_automations: excludeAutomations }));

describe('packBatches', () => {
  it('keeps every payload under 400,000 bytes, filling batches close to it', () => {
    const entries = Array.from({ length: 600 }, (_, i) => toEntry(input, change(i, 3_000 + (i % 7) * 97)));
    const batches = [...packBatches(entries)];
    expect(batches.flat()).toEqual(entries);
    for (const b of batches) {
      expect(payloadBytes(b)).toBeLessThan(BULK_IMPORT_MAX_BYTES);
      expect(payloadBytes(b, true)).toBeLessThan(BULK_IMPORT_MAX_BYTES);
    }
    // Not wastefully small: each full batch is within one contact of the limit.
    for (const b of batches.slice(0, -1)) expect(payloadBytes(b)).toBeGreaterThan(BULK_IMPORT_MAX_BYTES - 4_000);
  });

  it('puts at most 250 small contacts in a batch', () => {
    const entries = Array.from({ length: 501 }, (_, i) => toEntry(input, change(i, 1)));
    expect([...packBatches(entries)].map((b) => b.length)).toEqual([BULK_IMPORT_MAX_CONTACTS, BULK_IMPORT_MAX_CONTACTS, 1]);
  });
});

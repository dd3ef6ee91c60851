/**
 * Bulk import and its status (emulated ActiveCampaign API v3; see ../api-routes.ts for the table).
 */
import { BULK_MAX_CONTACTS, validateBulkPayload, VALIDATION_MESSAGE } from '../bulk-import.ts';
import { isRecord, parseJson, type RawBody, Reply } from '../http-io.ts';
import { isoDate } from '../wire.ts';
import { type Answer, type ApiContext, ok, type Route } from './common.ts';

export const bulkRoutes: Record<string, Route> = {
  'POST import/bulk_import': (ctx, { raw }) => {
    return bulkImport(ctx, raw);
  },
  'GET import/bulk_import': (ctx) => {
    const outstanding = new Map<string, { batches: number; contacts: number }>();
    const recentlyCompleted = new Map<string, { batches: number; contacts: number }>();
    for (const b of ctx.bulk.all()) {
      const day = isoDate(b.queuedAt).slice(0, 10);
      const m = b.outcome === undefined ? outstanding : recentlyCompleted;
      const e = m.get(day) ?? { batches: 0, contacts: 0 };
      e.batches++;
      e.contacts += b.contactCount;
      m.set(day, e);
    }
    const rows = (m: Map<string, { batches: number; contacts: number }>): unknown[] =>
      [...m].map(([forDate, e]) => ({ forDate, batches: String(e.batches), contacts: String(e.contacts) }));
    const out = rows(outstanding);
    // Quirk longImportQueue: other integrations' batches ahead of ours, as in AC's reference example.
    if (ctx.quirks.has('longImportQueue')) out.push({ forDate: isoDate(Date.now()).slice(0, 10), batches: String(ctx.quirks.settings.foreignOutstanding), contacts: String(ctx.quirks.settings.foreignOutstanding * 250) });
    return ok({ outstanding: out, recentlyCompleted: rows(recentlyCompleted) });
  },
  'GET import/info': (ctx, { id, query }) => {
    const batchId = query.get('batchId');
    if (batchId === null || batchId === '') throw new Reply(400, { success: 0, message: "'batchId' is a required field." });
    const b = ctx.bulk.get(batchId);
    const status = b === undefined ? false : ctx.bulk.statusOf(b);
    // Too early (or unknown id): ActiveCampaign answers `status: false`; the lists are left out so a client
    // cannot lean on them being present.
    if (b === undefined || status === false) return ok({ status: false });
    return ok({ status, success: b.outcome === undefined ? [] : b.success, failure: b.outcome === undefined ? [] : b.failure });
  },
};

function bulkImport(ctx: ApiContext, raw: RawBody): Answer {
  let parsed: unknown;
  try {
    parsed = parseJson(raw);
  } catch {
    parsed = undefined;
  }
  const contacts = isRecord(parsed) && Array.isArray(parsed['contacts']) ? (parsed['contacts'] as unknown[]) : [];
  // Counted before validation: the limit is on imports *requested* per minute, refused ones included.
  ctx.takeBulkSlot(contacts.length === 1);
  if (parsed === undefined) throw new Reply(400, { success: 0, message: VALIDATION_MESSAGE, failureReasons: ['The request body is not valid JSON.'] });
  const v = validateBulkPayload(parsed, raw.bytes, ctx.store);
  if (!v.ok) {
    let reasons = v.failureReasons;
    if (ctx.quirks.has('failureReasonsOneBased')) {
      // Quirk: 1-based indexes, and only the first few bad contacts listed.
      const perContact = reasons.filter((r) => typeof r !== 'string').map((r) => (typeof r === 'string' ? r : { ...r, contact: r.contact + 1 }));
      reasons = [...reasons.filter((r) => typeof r === 'string'), ...perContact.slice(0, ctx.quirks.settings.failureReasonsListed)];
    }
    throw new Reply(400, { success: 0, message: VALIDATION_MESSAGE, failureReasons: reasons });
  }
  if (v.contacts.length > BULK_MAX_CONTACTS) throw new Reply(400, {});
  const batch = ctx.bulk.enqueue(v.contacts, ctx.bulkDelayMs);
  ctx.dirty();
  if (ctx.quirks.has('bulkNoSuccess')) return ok({ queued_contacts: v.contacts.length, batchId: batch.id, message: 'Contact import queued' });
  return ok({ success: 1, queued_contacts: v.contacts.length, batchId: batch.id, message: 'Contact import queued' });
}

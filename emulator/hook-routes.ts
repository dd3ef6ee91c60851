/**
 * Test hooks under /__emulator/ (a real ActiveCampaign has none of these). No Api-Token is needed: the
 * emulator listens on loopback by default, and hooks never touch the rate limits or the API stats.
 *
 *   POST /__emulator/reset                  back to the start state
 *   POST /__emulator/seed                   SeedInput -> SeedResult (ids by email / perstag)
 *   GET  /__emulator/state                  the whole state
 *   GET  /__emulator/stats                  EmulatorStats
 *   GET|PUT /__emulator/faults              FaultConfig, or null to turn faults off
 *   GET|PUT /__emulator/limits              { rateLimit, bulkPerMinute, singleBulkPerMinute, bulkDelayMs }
 *   POST /__emulator/save                   write the data file now
 *   POST /__emulator/marketer/unsubscribe   { email | contact, list }
 *   POST /__emulator/marketer/subscribe     { email | contact, list, status? }
 *   POST /__emulator/marketer/edit          { email | contact, firstName?, lastName?, phone?, newEmail?, fields? }
 *   POST /__emulator/marketer/delete        { email | contact }
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRecord, parseJson, readBody, sendJson } from './http-io.ts';
import type { EmulatorHandle } from './index.ts';
import type { ContactRef, MarketerEdit } from './marketer.ts';
import type { SeedInput } from './seed.ts';
import type { ListStatus } from './store.ts';
import type { EmulatorLimits, FaultConfig } from './types.ts';

export interface HookContext {
  handle: EmulatorHandle;
  getFaults(): FaultConfig | undefined;
  getLimits(): EmulatorLimits;
}

function refOf(b: Record<string, unknown>): ContactRef {
  if (typeof b['email'] === 'string') return { email: b['email'] };
  if (typeof b['contact'] === 'string' || typeof b['contact'] === 'number') return { contact: b['contact'] };
  throw new Error('give "email" or "contact" (the contact id)');
}

function listOf(b: Record<string, unknown>): string | number {
  const l = b['list'];
  if (typeof l === 'string' || typeof l === 'number') return l;
  throw new Error('give "list" (the list id)');
}

export async function handleHook(ctx: HookContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const raw = await readBody(req);
  const method = req.method ?? 'GET';
  const path = url.pathname.slice('/__emulator/'.length).replace(/\/+$/, '');
  const body = method === 'GET' ? {} : parseJson(raw);
  const b = isRecord(body) ? body : {};
  const { handle } = ctx;
  try {
    switch (`${method} ${path}`) {
      case 'POST reset':
        handle.reset();
        return sendJson(res, 200, { ok: true });
      case 'POST seed':
        return sendJson(res, 200, handle.seed(b as SeedInput));
      case 'GET state':
        return sendJson(res, 200, handle.state());
      case 'GET stats':
        return sendJson(res, 200, handle.stats());
      case 'GET faults':
        return sendJson(res, 200, ctx.getFaults() ?? null);
      case 'PUT faults':
      case 'POST faults':
        handle.setFaults(body === null || !isRecord(body) || Object.keys(body).length === 0 ? undefined : (body as FaultConfig));
        return sendJson(res, 200, ctx.getFaults() ?? null);
      case 'GET limits':
        return sendJson(res, 200, ctx.getLimits());
      case 'PUT limits':
      case 'POST limits':
        handle.setLimits(b as EmulatorLimits);
        return sendJson(res, 200, ctx.getLimits());
      case 'POST save':
        await handle.save();
        return sendJson(res, 200, { ok: true });
      case 'POST marketer/unsubscribe':
        handle.marketer.unsubscribe(refOf(b), listOf(b));
        return sendJson(res, 200, { ok: true });
      case 'POST marketer/subscribe': {
        const status = b['status'] === undefined ? 1 : Number(b['status']);
        if (![0, 1, 2, 3].includes(status)) throw new Error('"status" must be 0, 1, 2 or 3');
        const id = handle.marketer.subscribe(refOf(b), listOf(b), status as ListStatus);
        return sendJson(res, 200, { ok: true, contact: id });
      }
      case 'POST marketer/edit': {
        const edit: MarketerEdit = {};
        for (const k of ['firstName', 'lastName', 'phone'] as const) if (typeof b[k] === 'string') edit[k] = b[k];
        if (typeof b['newEmail'] === 'string') edit.email = b['newEmail'];
        if (isRecord(b['fields'])) edit.fields = b['fields'] as Record<string, string>;
        handle.marketer.edit(refOf(b), edit);
        return sendJson(res, 200, { ok: true });
      }
      case 'POST marketer/delete':
        handle.marketer.delete(refOf(b));
        return sendJson(res, 200, { ok: true });
      default:
        return sendJson(res, 404, { message: `No emulator hook ${method} /__emulator/${path}` });
    }
  } catch (e) {
    sendJson(res, 400, { message: e instanceof Error ? e.message : String(e) });
  }
}

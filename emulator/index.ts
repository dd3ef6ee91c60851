/**
 * The ActiveCampaign-compatible emulator: a real node:http server serving /api/3 (with ActiveCampaign's
 * auth, rate limits, shapes and bulk import queue) and test hooks under /__emulator/.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BulkQueue } from './bulk-import.ts';
import { FaultInjector } from './faults.ts';
import { createApiFront } from './front.ts';
import { handleHook } from './hook-routes.ts';
import { Reply, sendJson } from './http-io.ts';
import { Marketer } from './marketer.ts';
import { loadState, saveState } from './persistence.ts';
import { normaliseValue, Quirks, type QuirkName } from './quirks.ts';
import { RollingWindow } from './rolling-window.ts';
import { seed, type SeedInput, type SeedResult } from './seed.ts';
import { Store, storeTimeToMs } from './store.ts';
import type { EmulatorLimits, EmulatorOptions, EmulatorStats, FaultConfig } from './types.ts';

export type { EmulatorLimits, EmulatorOptions, EmulatorStats, FaultConfig } from './types.ts';
export type { SeedContact, SeedInput, SeedResult } from './seed.ts';
export { QUIRK_NAMES, parseQuirksFlag, type QuirkName, type QuirksOption, type QuirkSettings } from './quirks.ts';
export type { ContactRef, MarketerEdit } from './marketer.ts';

export const DEFAULT_PORT = 4010;
export const DEFAULT_HOST = '127.0.0.1';
/** 5 requests per second per account (developers.activecampaign.com/reference/rate-limits). */
export const AC_RATE_LIMIT_PER_SECOND = 5;
/** 100 multi-contact bulk import requests per minute (bulk-import-contacts reference). */
export const AC_BULK_PER_MINUTE = 100;
/** 20 single-contact bulk import requests per minute (bulk-import-contacts reference). */
export const AC_SINGLE_BULK_PER_MINUTE = 20;
/** ActiveCampaign answers `status: false` for about the first second; the default batch takes 2 s in all. */
export const DEFAULT_BULK_DELAY_MS = 2000;
/** Saves are batched: at most one write per this many ms while the state keeps changing. */
export const SAVE_DEBOUNCE_MS = 1000;

export { BULK_RATE_LIMIT_STATUS, endpointKind } from './front.ts';

export interface EmulatorHandle {
  /** http://127.0.0.1:PORT */
  url: string;
  /** 127.0.0.1:PORT, what a connection's hostname field holds. */
  hostname: string;
  port: number;
  apiKey: string;
  setFaults(f: FaultConfig | undefined): void;
  setLimits(l: EmulatorLimits): void;
  stats(): EmulatorStats;
  /** Back to the start state (seeds re-applied); clears stats and rate windows; faults and limits stay. */
  reset(): void;
  stop(): Promise<void>;
  /** Puts data straight into the store (no rate limit, not counted). */
  seed(input: SeedInput): SeedResult;
  /** Out-of-band changes, as a person would make them in ActiveCampaign's UI. */
  marketer: Marketer;
  /** The whole state as JSON (for tests and debugging). */
  state(): unknown;
  /** Writes the data file now (no-op without dataFile). */
  save(): Promise<void>;
  /** The quirks switched on (quirks.ts; none by default). */
  quirks(): QuirkName[];
}

function emptyStats(): EmulatorStats {
  return { byEndpoint: {}, byStatus: {}, rateLimited: 0, bulkRateLimited: 0, maxRequestsPerSecond: 0, maxBulkImportsPerMinute: 0, requests: 0 };
}


export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const apiKey = options.apiKey ?? randomBytes(32).toString('hex');
  const limits: Required<EmulatorLimits> = {
    rateLimit: options.rateLimit ?? AC_RATE_LIMIT_PER_SECOND,
    bulkPerMinute: options.bulkPerMinute ?? AC_BULK_PER_MINUTE,
    singleBulkPerMinute: options.singleBulkPerMinute ?? AC_SINGLE_BULK_PER_MINUTE,
    bulkDelayMs: options.bulkDelayMs ?? DEFAULT_BULK_DELAY_MS,
  };
  const now = options.now ?? Date.now;
  const store = new Store(now);
  const quirks = new Quirks(options.quirks);
  if (quirks.has('sdateOnEveryChange')) store.sdateOnEveryChange = true;
  if (quirks.has('normaliseValues')) store.normalise = normaliseValue;
  const faults = new FaultInjector(options.faults);
  let stats = emptyStats();
  const accountWindow = new RollingWindow(1000);
  const bulkWindow = new RollingWindow(60_000);
  const singleBulkWindow = new RollingWindow(60_000);
  const seenPerSecond = new RollingWindow(1000);
  const seenBulkPerMinute = new RollingWindow(60_000);

  // ---- persistence
  let saveTimer: NodeJS.Timeout | undefined;
  let saving: Promise<void> | undefined;
  let dirtyWhileSaving = false;
  const dataFile = options.dataFile;
  const save = async (): Promise<void> => {
    if (dataFile === undefined) return;
    if (saving !== undefined) {
      dirtyWhileSaving = true;
      await saving;
      if (!dirtyWhileSaving) return;
    }
    dirtyWhileSaving = false;
    saving = saveState(dataFile, store, bulk.toJSON()).finally(() => {
      saving = undefined;
    });
    await saving;
  };
  const dirty = (): void => {
    if (dataFile === undefined || saveTimer !== undefined) return;
    saveTimer = setTimeout(() => {
      saveTimer = undefined;
      save().catch((e: unknown) => process.stderr.write(`acsync emulator: could not save ${dataFile}: ${String(e)}\n`));
    }, SAVE_DEBOUNCE_MS);
    saveTimer.unref();
  };

  const bulk = new BulkQueue(store, faults, now, dirty, quirks);
  const marketer = new Marketer(store, dirty);

  const applySeeds = (): void => {
    const input: SeedInput = {};
    if (options.seedLists !== undefined) input.lists = options.seedLists;
    if (options.seedFields !== undefined) input.fields = options.seedFields;
    seed(store, input);
  };

  if (dataFile !== undefined) {
    const batches = await loadState(dataFile, store);
    if (batches !== undefined) bulk.load(batches);
  }
  applySeeds();

  let baseUrl = '';
  const handleApiRequest = createApiFront({
    apiKey,
    now,
    limits,
    stats: () => stats,
    windows: { account: accountWindow, bulk: bulkWindow, singleBulk: singleBulkWindow, seenPerSecond, seenBulkPerMinute },
    store,
    bulk,
    faults,
    quirks,
    baseUrl: () => baseUrl,
    dirty,
  });

  const reset = (): void => {
    store.clear();
    bulk.clear();
    stats = emptyStats();
    quirks.reset();
    for (const w of [accountWindow, bulkWindow, singleBulkWindow, seenPerSecond, seenBulkPerMinute]) w.clear();
    applySeeds();
    dirty();
  };

  const state = (): unknown => ({
    lists: [...store.lists.values()].map((l) => ({ id: String(l.id), name: l.name, stringid: l.stringid })),
    fields: [...store.fields.values()].map((f) => ({ id: String(f.id), title: f.title, type: f.type, perstag: f.perstag })),
    fieldRels: [...store.fieldRels.values()].map((r) => ({ id: String(r.id), field: String(r.field), relid: String(r.relid) })),
    tags: [...store.tags.values()].map((t) => ({ id: String(t.id), tag: t.tag })),
    contacts: store.contactIds.map((id) => {
      const c = store.contacts.get(id) as NonNullable<ReturnType<typeof store.contacts.get>>;
      return {
        id: String(c.id),
        email: c.email,
        firstName: c.firstName,
        lastName: c.lastName,
        phone: c.phone,
        cdate: new Date(storeTimeToMs(c.cdate)).toISOString(),
        udate: new Date(storeTimeToMs(c.udate)).toISOString(),
        lists: Object.fromEntries(c.lists.map((m) => [String(m.list), m.status])),
        fields: Object.fromEntries(c.fields.map((v) => [store.fields.get(v.field)?.perstag ?? String(v.field), v.value])),
        tags: c.tags.map((t) => store.tags.get(t.tag)?.tag ?? String(t.tag)),
      };
    }),
    batches: bulk.all().map((b) => ({ id: b.id, status: bulk.statusOf(b), contacts: b.contactCount, success: b.success, failure: b.failure })),
  });

  const setLimits = (l: EmulatorLimits): void => {
    for (const k of ['rateLimit', 'bulkPerMinute', 'singleBulkPerMinute', 'bulkDelayMs'] as const) {
      const v = l[k];
      if (v !== undefined) {
        if (!Number.isFinite(v) || v < 0) throw new Error(`limits: ${k} must be a number >= 0, got ${String(v)}`);
        limits[k] = v;
      }
    }
  };

  const handle: EmulatorHandle = {
    url: '',
    hostname: '',
    port: 0,
    apiKey,
    setFaults: (f) => faults.set(f),
    setLimits,
    stats: () => structuredClone(stats),
    reset,
    stop: async () => {
      bulk.stop();
      if (saveTimer !== undefined) clearTimeout(saveTimer);
      saveTimer = undefined;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await save();
    },
    seed: (input) => {
      const r = seed(store, input);
      dirty();
      return r;
    },
    marketer,
    state,
    save,
    quirks: () => quirks.list(),
  };

  const hookContext = {
    handle,
    getFaults: () => faults.get(),
    getLimits: () => ({ ...limits }),
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const work = url.pathname.startsWith('/__emulator/')
      ? handleHook(hookContext, req, res, url)
      : url.pathname === '/api/3' || url.pathname.startsWith('/api/3/')
        ? handleApiRequest(req, res, url)
        : Promise.resolve(sendJson(res, 404, { message: 'Not Found' }));
    work.catch((e: unknown) => {
      if (e instanceof Reply) {
        if (!res.headersSent) sendJson(res, e.status, e.body, e.headers);
        return;
      }
      process.stderr.write(`acsync emulator: internal error on ${req.method ?? ''} ${url.pathname}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal emulator error' });
    });
  });
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_PORT, options.host ?? DEFAULT_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  handle.port = addr.port;
  handle.hostname = `${host}:${addr.port}`;
  handle.url = `http://${handle.hostname}`;
  baseUrl = handle.url;
  return handle;
}

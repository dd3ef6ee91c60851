/** Small HTTP helpers for emulator tests: real requests over loopback to a real emulator. */
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../emulator/index.ts';

export interface Res {
  status: number;
  headers: Headers;
  body: any;
}

export interface Api {
  e: EmulatorHandle;
  get(path: string): Promise<Res>;
  post(path: string, body: unknown): Promise<Res>;
  put(path: string, body: unknown): Promise<Res>;
  del(path: string): Promise<Res>;
  hook(method: string, path: string, body?: unknown): Promise<Res>;
}

export const KEY = 'test-key-0123456789';

async function call(url: string, method: string, headers: Record<string, string>, body?: unknown): Promise<Res> {
  const init: RequestInit = { method, headers: { ...headers, 'Content-Type': 'application/json' } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const r = await fetch(url, init);
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (gateway faults answer HTML)
  }
  return { status: r.status, headers: r.headers, body: parsed };
}

/** Starts an emulator on a free port with a generous rate limit unless the test sets its own. */
export async function start(options: EmulatorOptions = {}): Promise<Api> {
  const e = await startEmulator({ port: 0, apiKey: KEY, rateLimit: 10_000, bulkDelayMs: 0, ...options });
  const h = { 'Api-Token': KEY };
  return {
    e,
    get: (p) => call(e.url + p, 'GET', h),
    post: (p, b) => call(e.url + p, 'POST', h, b),
    put: (p, b) => call(e.url + p, 'PUT', h, b),
    del: (p) => call(e.url + p, 'DELETE', h),
    hook: (m, p, b) => call(`${e.url}/__emulator/${p}`, m, {}, b),
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

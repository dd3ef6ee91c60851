/**
 * Reading requests and writing JSON answers for the emulator's node:http server.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Bodies beyond this are refused before parsing; well above bulk import's 400,000-byte limit so that limit can answer. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** An answer decided deep in a route: thrown, and written by the server as-is. */
export class Reply extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

export interface RawBody {
  bytes: number;
  text: string;
}

export async function readBody(req: IncomingMessage): Promise<RawBody> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    bytes += b.length;
    if (bytes > MAX_BODY_BYTES) throw new Reply(413, { message: 'Request entity too large' });
    chunks.push(b);
  }
  return { bytes, text: Buffer.concat(chunks).toString('utf8') };
}

/** Parses a JSON body; an empty body is `{}`. Malformed JSON is a 400 with an empty object, as ActiveCampaign answers. */
export function parseJson(raw: RawBody): unknown {
  if (raw.text.trim() === '') return {};
  try {
    return JSON.parse(raw.text) as unknown;
  } catch {
    throw new Reply(400, {});
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A positive integer id from a number or numeric string (ActiveCampaign accepts both), else undefined. */
export function toId(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  if (typeof v === 'string' && /^\d+$/.test(v.trim())) {
    const n = Number(v.trim());
    return n > 0 ? n : undefined;
  }
  return undefined;
}

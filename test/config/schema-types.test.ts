/**
 * The config types agree with the JSON Schema (schemas/acsync.schema.json, the source of truth): every object
 * the schema describes has exactly the keys of its type, required where the type requires them. The tables
 * below are typed so that tsc refuses them when they drift from the types; the test refuses them when they
 * drift from the schema.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RawConfig } from '../../engine/config/load.ts';

/** Each key of T, and whether T requires it: tsc checks every value against the type. */
type Keys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? 'optional' : 'required' };

type Connection = RawConfig['connections'][string];
type Export = RawConfig['exports'][string];

const TOP: Keys<RawConfig> = { version: 'required', roles: 'required', databases: 'optional', connections: 'required', exports: 'required' };
const ROLES: Keys<RawConfig['roles']> = { admins: 'required', contributors: 'optional' };
const CONNECTION: Keys<Connection> = {
  type: 'required',
  displayName: 'required',
  hostname: 'required',
  apiKey: 'required',
  exportUser: 'required',
  usableBy: 'optional',
  dataPrivacyConsent: 'optional',
  contactLimit: 'optional',
};
const EXPORT: Keys<Export> = {
  connection: 'required',
  owner: 'required',
  segment: 'required',
  poll: 'optional',
  listId: 'required',
  mapping: 'required',
  onLeave: 'optional',
  schedule: 'optional',
  timezone: 'optional',
  enabled: 'optional',
  maxUnsubscribe: 'optional',
  lookupLimit: 'optional',
  tags: 'optional',
  excludeAutomations: 'optional',
};
const MAPPING: Keys<Export['mapping']> = { email: 'required', firstName: 'optional', lastName: 'optional', phone: 'optional', fields: 'optional' };

interface SchemaObject {
  required?: string[];
  properties?: Record<string, unknown>;
}
const schema = JSON.parse(readFileSync(new URL('../../schemas/acsync.schema.json', import.meta.url), 'utf8')) as SchemaObject & { $defs: Record<string, SchemaObject> };

/** What the schema says of an object: its keys, and which are required. */
function described(o: SchemaObject): Record<string, 'required' | 'optional'> {
  const required = new Set(o.required ?? []);
  return Object.fromEntries(Object.keys(o.properties ?? {}).filter((k) => k !== '$schema').map((k) => [k, required.has(k) ? 'required' : 'optional']));
}
const sorted = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

describe('config types and the JSON Schema', () => {
  it.each([
    ['the document', TOP, schema],
    ['roles', ROLES, schema.$defs['roles']!],
    ['a connection', CONNECTION, schema.$defs['connection']!],
    ['an export', EXPORT, schema.$defs['export']!],
    ['a mapping', MAPPING, schema.$defs['mapping']!],
  ] as const)('%s has the same keys, required alike', (_what, keys, object) => {
    expect(sorted(described(object))).toEqual(sorted(keys as Record<string, string>));
  });
});

/**
 * Every `--json` event the suite sees is checked against the published schema (schemas/events.schema.json), so the
 * schema, JSON-EVENTS.md and what the reporters write cannot drift apart unnoticed.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { expect } from 'vitest';

let validate: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (validate !== undefined) return validate;
  const schema = JSON.parse(readFileSync(new URL('../../schemas/events.schema.json', import.meta.url), 'utf8')) as object;
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  ajv.addKeyword('x-acsync-events-version');
  validate = ajv.compile(schema);
  return validate;
}

/** Parses NDJSON (or takes objects) and asserts each line is a valid event; returns the objects. */
export function expectValidEvents(input: string | readonly unknown[]): Array<Record<string, unknown> & { type: string }> {
  const objects =
    typeof input === 'string'
      ? input
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as unknown)
      : [...input];
  const check = validator();
  for (const o of objects) {
    const ok = check(o);
    expect(ok, `${JSON.stringify(o).slice(0, 300)}\n${JSON.stringify(check.errors?.slice(0, 3))}`).toBe(true);
  }
  return objects as Array<Record<string, unknown> & { type: string }>;
}

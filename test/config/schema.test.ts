import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS } from '../../engine/config/load.ts';
import { README_URL, readmeReference, renderReference, updateReadme } from '../../engine/config/reference.ts';
import { deref, loadSchema, type SchemaNode } from '../../engine/config/schema.ts';

const schema = loadSchema();

/** Every property schema with its dotted location, $refs followed. */
function properties(): Array<{ at: string; node: SchemaNode; owner: SchemaNode }> {
  const out: Array<{ at: string; node: SchemaNode; owner: SchemaNode }> = [];
  const seen = new Set<SchemaNode>();
  const walk = (node: SchemaNode, at: string): void => {
    if (seen.has(node)) return;
    seen.add(node);
    for (const [name, raw] of Object.entries(node.properties ?? {})) {
      const prop = deref(raw);
      out.push({ at: `${at}.${name}`, node: prop, owner: node });
      walk(prop, `${at}.${name}`);
    }
    if (typeof node.additionalProperties === 'object') walk(deref(node.additionalProperties), `${at}.*`);
    if (node.items) walk(deref(node.items), `${at}[]`);
  };
  walk(schema, '');
  return out;
}

describe('schemas/acsync.schema.json', () => {
  it('describes every property (editors show it on hover)', () => {
    const missing = properties().filter((p) => !p.node.description).map((p) => p.at);
    expect(missing).toEqual([]);
  });

  it('refuses unknown properties on every fixed-shape object, so typos are not silently ignored', () => {
    const open = [schema, ...properties().map((p) => p.node)].filter((n) => n.properties !== undefined && n.additionalProperties !== false);
    expect(open).toEqual([]);
  });

  it('declares the defaults the loader applies', () => {
    const s = schema.$defs!;
    expect(s.connection!.properties!.usableBy!.default).toBe(CONFIG_DEFAULTS.usableBy);
    expect(s.export!.properties!.onLeave!.default).toBe(CONFIG_DEFAULTS.onLeave);
    expect(s.export!.properties!.enabled!.default).toBe(CONFIG_DEFAULTS.enabled);
    expect(s.export!.properties!.maxUnsubscribe!.default).toBe(CONFIG_DEFAULTS.maxUnsubscribe);
    expect(s.export!.properties!.excludeAutomations!.default).toBe(CONFIG_DEFAULTS.excludeAutomations);
  });
});

describe('the README configuration reference', () => {
  it('is what the schema renders (run `node --import tsx engine/config/reference.ts --write` after editing the schema)', () => {
    expect(readmeReference(readFileSync(README_URL, 'utf8'))).toBe(renderReference());
  });

  it('lists every property of the schema', () => {
    const reference = renderReference();
    for (const p of properties()) {
      const name = p.at.split('.').pop()!.replace(/\[\]$/, '');
      if (name === '$schema' || name === '*') continue;
      expect(reference).toContain(`| \`${name}\` |`);
    }
  });

  it('a schema edit makes the README stale until it is regenerated', () => {
    const edited: SchemaNode = JSON.parse(JSON.stringify(schema));
    edited.$defs!.export!.properties!.onLeave!.description = 'changed';
    const readme = readFileSync(README_URL, 'utf8');
    expect(readmeReference(readme)).not.toBe(renderReference(edited));
    expect(readmeReference(updateReadme(readme, renderReference(edited)))).toBe(renderReference(edited));
  });
});

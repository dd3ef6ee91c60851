/**
 * The configuration reference, rendered from the JSON Schema so the README cannot drift from it.
 *   node --import tsx engine/config/reference.ts          print the Markdown
 *   node --import tsx engine/config/reference.ts --write  update README.md between the markers
 * A test fails when README.md and the schema disagree.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deref, loadSchema, type SchemaNode } from './schema.ts';

export const README_START = '<!-- config-reference:start -->';
export const README_END = '<!-- config-reference:end -->';
export const README_URL = new URL('../../README.md', import.meta.url);

interface Section {
  title: string;
  intro?: string;
  node: SchemaNode;
}

/** The Markdown reference: one table per object of the config, in document order. */
export function renderReference(schema: SchemaNode = loadSchema()): string {
  const sections: Section[] = [];
  const visit = (title: string, node: SchemaNode, intro?: string): void => {
    sections.push({ title, node, ...(intro !== undefined ? { intro } : {}) });
    for (const [name, raw] of Object.entries(node.properties ?? {})) {
      const prop = deref(raw, schema);
      const sub = childObject(prop, schema);
      if (sub === undefined) continue;
      const path = title === 'Top level' ? name : `${title}.${name}`;
      visit(sub.isMap ? `${path}.${MAP_KEYS[name] ?? '<key>'}` : path, sub.node, prop.description);
    }
  };
  visit('Top level', schema, schema.description);

  const out: string[] = [
    '<!-- Generated from schemas/acsync.schema.json by `node --import tsx engine/config/reference.ts --write`: edit the schema, not this. -->',
    '',
  ];
  for (const s of sections) {
    out.push(`#### ${s.title === 'Top level' ? s.title : `\`${s.title}\``}`, '');
    if (s.intro !== undefined) out.push(s.intro, '');
    out.push('| Property | Type | Required | Default | Description |', '| --- | --- | --- | --- | --- |');
    for (const [name, raw] of Object.entries(s.node.properties ?? {})) {
      if (name === '$schema') continue;
      const prop = deref(raw, schema);
      const required = (s.node.required ?? []).includes(name) ? 'yes' : '';
      const dflt = prop.default === undefined ? '' : code(prop.default);
      const examples = prop.examples?.length ? ` Example: ${prop.examples.map(code).join(', ')}.` : '';
      out.push(`| \`${name}\` | ${typeOf(prop, schema)} | ${required} | ${dflt} | ${cell((prop.description ?? '') + examples)} |`);
    }
    out.push('');
  }
  return out.join('\n').trimEnd() + '\n';
}

/** How the reference names the user-chosen keys of each map (`connections.<id>`). */
const MAP_KEYS: Record<string, string> = { connections: '<id>', databases: '<id>', exports: '<name>' };

/** An object property that gets its own table: a fixed-shape object, or a map whose values are objects. */
function childObject(prop: SchemaNode, schema: SchemaNode): { isMap: boolean; node: SchemaNode } | undefined {
  if (prop.properties !== undefined) return { isMap: false, node: prop };
  if (typeof prop.additionalProperties === 'object') {
    const value = deref(prop.additionalProperties, schema);
    if (value.properties !== undefined) return { isMap: true, node: value };
  }
  return undefined;
}

function typeOf(node: SchemaNode, schema: SchemaNode): string {
  if (node.const !== undefined) return code(node.const);
  if (node.enum !== undefined) return node.enum.map(code).join(' \\| ');
  const types = Array.isArray(node.type) ? node.type : node.type !== undefined ? [node.type] : [];
  const parts = types.map((t) => {
    if (t === 'array' && node.items) return `list of ${typeOf(deref(node.items, schema), schema)}`;
    if (t === 'object' && typeof node.additionalProperties === 'object') {
      const value = deref(node.additionalProperties, schema);
      return value.properties !== undefined ? 'map (see below)' : `map of ${typeOf(value, schema)}`;
    }
    if (t === 'object') return 'object (see below)';
    if (t === 'string' && node.format === 'email') return 'email';
    if (t === 'number' && node.minimum !== undefined && node.maximum !== undefined) return `number ${node.minimum}..${node.maximum}`;
    return t;
  });
  return parts.join(' or ') || 'any';
}

function code(v: unknown): string {
  return `\`${typeof v === 'string' ? v : JSON.stringify(v)}\``;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Replaces what lies between the markers; throws when the markers are missing (the README needs them). */
export function updateReadme(readme: string, reference: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start === -1 || end === -1 || end < start) throw new Error(`README.md needs the markers ${README_START} and ${README_END}`);
  return `${readme.slice(0, start + README_START.length)}\n${reference}${readme.slice(end)}`;
}

/** The reference section as it currently stands in the README. */
export function readmeReference(readme: string): string | undefined {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start === -1 || end === -1) return undefined;
  return readme.slice(start + README_START.length + 1, end);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const reference = renderReference();
  if (process.argv.includes('--write')) {
    const readme = readFileSync(README_URL, 'utf8');
    const next = updateReadme(readme, reference);
    if (next !== readme) writeFileSync(README_URL, next);
    process.stdout.write(`${next === readme ? 'unchanged' : 'updated'}: ${fileURLToPath(README_URL)}\n`);
  } else {
    process.stdout.write(reference);
  }
}

/**
 * The JSON Schema (schemas/acsync.schema.json, the single source of truth) compiled with ajv, and ajv's errors
 * turned into problems that point at the YAML and read like advice rather than like a validator's internals.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { packageFile } from '../package-root.ts';
import { problem, type Problem } from './problem.ts';
import { childPath, pointerToPath, type SourceIndex } from './source-index.ts';

export const SCHEMA_URL = packageFile('schemas/acsync.schema.json');

/** A JSON Schema node, loosely typed: the schema file is ours and reference.ts walks it too. */
export interface SchemaNode {
  $ref?: string;
  type?: string | string[];
  description?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  propertyNames?: SchemaNode;
  items?: SchemaNode;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  examples?: unknown[];
  pattern?: string;
  patternErrorMessage?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  minLength?: number;
  $defs?: Record<string, SchemaNode>;
}

let cachedSchema: SchemaNode | undefined;
let cachedValidate: ValidateFunction | undefined;

export function loadSchema(): SchemaNode {
  cachedSchema ??= JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as SchemaNode;
  return cachedSchema;
}

/** Follows a local `$ref` (`#/$defs/x`) to the node it names. */
export function deref(node: SchemaNode, root: SchemaNode = loadSchema()): SchemaNode {
  let n = node;
  while (n.$ref !== undefined) {
    const name = n.$ref.replace(/^#\/\$defs\//, '');
    const target = root.$defs?.[name];
    if (target === undefined) throw new Error(`schema: unresolved $ref ${n.$ref}`);
    // A description next to the $ref is more specific than the target's own.
    n = { ...target, ...(n.description !== undefined ? { description: n.description } : {}) };
  }
  return n;
}

function validator(): ValidateFunction {
  if (cachedValidate) return cachedValidate;
  // allowUnionTypes: listId accepts 3 or "3". verbose: errors carry parentSchema (descriptions, property lists).
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
  addFormats.default(ajv);
  // Read by VS Code and yaml-language-server; for ajv an annotation we use for our own messages.
  ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
  cachedValidate = ajv.compile(loadSchema());
  return cachedValidate;
}

/**
 * Errors the cross-reference rules explain better (a literal API key, a hostname with https://, the version):
 * the schema keeps these constraints for editors, the loader leaves the message to the rule.
 */
const OWNED_BY_RULES: Array<{ path: RegExp; keyword?: string }> = [
  { path: /^version$/, keyword: 'const' },
  { path: /^connections\.[^.]+\.hostname$/, keyword: 'pattern' },
  { path: /^connections\.[^.]+\.apiKey$/ },
  { path: /^databases\.[^.]+\.url$/ },
];

/** Validates `data` against the schema; every error becomes a problem at its YAML position. */
export function schemaProblems(data: unknown, index: SourceIndex): Problem[] {
  const validate = validator();
  if (validate(data)) return [];
  const out: Problem[] = [];
  for (const e of validate.errors ?? []) {
    const p = translate(e, index);
    if (p === undefined) continue;
    if (OWNED_BY_RULES.some((o) => o.path.test(p.path) && (o.keyword === undefined || o.keyword === e.keyword))) continue;
    out.push(p);
  }
  return out;
}

function translate(e: ErrorObject, index: SourceIndex): Problem | undefined {
  const path = pointerToPath(e.instancePath);
  const parent = (e.parentSchema ?? {}) as SchemaNode;

  // Errors inside `propertyNames` are about a key: point at that key.
  if (e.keyword === 'propertyNames') return undefined;
  if (e.propertyName !== undefined) {
    const keyPath = childPath(path, e.propertyName);
    const why = parent.patternErrorMessage ?? e.message ?? 'invalid';
    return problem('error', keyPath, index.keyAt(keyPath), `invalid name '${e.propertyName}': ${why}`);
  }

  switch (e.keyword) {
    case 'required': {
      const missing = String((e.params as { missingProperty: string }).missingProperty);
      const prop = parent.properties?.[missing];
      const hint = prop ? deref(prop).description : undefined;
      return problem('error', path, index.at(path), `missing required property '${missing}'`, hint && `${missing}: ${hint}`);
    }
    case 'additionalProperties': {
      const extra = String((e.params as { additionalProperty: string }).additionalProperty);
      const keyPath = childPath(path, extra);
      const allowed = Object.keys(parent.properties ?? {}).filter((k) => k !== '$schema');
      const guess = closest(extra, allowed);
      const hint = guess !== undefined ? `did you mean '${guess}'?` : `allowed here: ${allowed.join(', ')}`;
      return problem('error', keyPath, index.keyAt(keyPath), `unknown property '${extra}'`, hint);
    }
    case 'type': {
      const want = (e.params as { type: string | string[] }).type;
      const wants = (Array.isArray(want) ? want : String(want).split(',')).map(typeName);
      return problem('error', path, index.at(path), `must be ${wants.join(' or ')}, not ${describe(e.data)}`);
    }
    case 'enum': {
      const values = ((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String);
      return problem('error', path, index.at(path), `must be one of: ${values.join(', ')}`);
    }
    case 'const':
      return problem('error', path, index.at(path), `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`);
    case 'format':
      return problem('error', path, index.at(path), formatMessage((e.params as { format: string }).format));
    case 'pattern':
      return problem('error', path, index.at(path), parent.patternErrorMessage ?? e.message ?? 'invalid value');
    case 'minimum':
      return problem('error', path, index.at(path), `must be at least ${String((e.params as { limit: number }).limit)}`);
    case 'maximum':
      return problem('error', path, index.at(path), `must be at most ${String((e.params as { limit: number }).limit)}`);
    case 'minItems':
      return problem('error', path, index.at(path), `must list at least ${String((e.params as { limit: number }).limit)} item(s)`);
    case 'minLength':
      return problem('error', path, index.at(path), 'must not be empty');
    case 'uniqueItems': {
      const { i, j } = e.params as { i: number; j: number };
      const later = childPath(path, Math.max(i, j));
      return problem('error', later, index.at(later), `appears twice in the list (items ${Math.min(i, j) + 1} and ${Math.max(i, j) + 1})`, 'remove the repeated entry');
    }
    default:
      return problem('error', path, index.at(path), e.message ?? `fails ${e.keyword}`);
  }
}

function typeName(t: string): string {
  switch (t) {
    case 'object': return 'a map (key: value entries)';
    case 'array': return 'a list';
    case 'integer': return 'a whole number';
    case 'number': return 'a number';
    case 'string': return 'a string';
    case 'boolean': return 'true or false';
    default: return t;
  }
}

/** Names the kind of value found without repeating it (it could be a secret pasted in the wrong place). */
function describe(v: unknown): string {
  if (v === null || v === undefined) return 'empty';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'number') return Number.isInteger(v) ? 'a whole number' : 'a number';
  if (typeof v === 'boolean') return `${String(v)}`;
  return 'a string';
}

function formatMessage(format: string): string {
  if (format === 'email') return 'must be an email address';
  return `must be a valid ${format}`;
}

/** The allowed name closest to a typo, when it is close enough to be a likely intent. */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = c.toLowerCase() === word.toLowerCase() ? 0 : editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  // Two edits catch transpositions and dropped letters without suggesting unrelated names for short words.
  return bestDistance <= Math.min(2, Math.floor(word.length / 2)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

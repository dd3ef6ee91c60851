/**
 * Where each value of a parsed YAML document sits in the source, by dotted path (`exports.vip.mapping.email`),
 * so schema errors and cross-reference rules can point at the exact line and column.
 */
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { SourcePos } from './model.ts';

interface Entry {
  /** Position of the key, for values inside a map. */
  key?: SourcePos;
  /** Position of the value node, when there is one. */
  value?: SourcePos;
  /** The value is a map or a list, or is empty: messages about it read best at its key. */
  preferKey: boolean;
}

/** A key that appears twice in one map (YAML would silently keep the last one). */
export interface DuplicateKey {
  path: string;
  pos: SourcePos;
  firstLine: number;
}

const START: SourcePos = { line: 1, column: 1 };

/** Joins dotted path segments; the root is ''. */
export function childPath(parent: string, key: string | number): string {
  return parent === '' ? String(key) : `${parent}.${key}`;
}

/** Turns an ajv instancePath (`/exports/vip/listId`, RFC 6901 escapes) into a dotted path. */
export function pointerToPath(pointer: string): string {
  if (pointer === '') return '';
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

export class SourceIndex {
  readonly duplicates: DuplicateKey[] = [];
  private readonly entries = new Map<string, Entry>();

  constructor(doc: Document, private readonly lines: LineCounter) {
    const root = doc.contents as Node | null;
    const rootEntry: Entry = { preferKey: false };
    const rootPos = root?.range ? this.pos(root.range[0]) : undefined;
    if (rootPos) rootEntry.value = rootPos;
    this.entries.set('', rootEntry);
    if (root) this.walk(root, '');
  }

  /** The best place to point at for a problem with the value at `path`: the value, or its key for maps and lists. */
  at(path: string): SourcePos {
    const e = this.nearest(path);
    if (e.preferKey && e.key) return e.key;
    return e.value ?? e.key ?? START;
  }

  /** The position of the key of `path` (for unknown or misnamed properties). */
  keyAt(path: string): SourcePos {
    const e = this.nearest(path);
    return e.key ?? e.value ?? START;
  }

  has(path: string): boolean {
    return this.entries.has(path);
  }

  /** Every known path with its best position (what Config.locations holds). */
  all(): Record<string, SourcePos> {
    const out: Record<string, SourcePos> = {};
    for (const path of this.entries.keys()) out[path] = this.at(path);
    return out;
  }

  /** Falls back to the closest ancestor, so a problem under a missing node still points somewhere sensible. */
  private nearest(path: string): Entry {
    let p = path;
    for (;;) {
      const e = this.entries.get(p);
      if (e) return e;
      if (p === '') return { preferKey: false, value: START };
      const dot = p.lastIndexOf('.');
      p = dot === -1 ? '' : p.slice(0, dot);
    }
  }

  private pos(offset: number): SourcePos {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  private walk(node: Node, path: string): void {
    if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const name = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
        const p = childPath(path, name);
        const keyPos = keyNode?.range ? this.pos(keyNode.range[0]) : undefined;
        const valueNode = pair.value as Node | null;
        const first = seen.get(name);
        // YAML keeps the last of duplicate keys, so the last one's positions are the ones that match the data.
        if (first !== undefined && keyPos) this.duplicates.push({ path: p, pos: keyPos, firstLine: first });
        else if (keyPos) seen.set(name, keyPos.line);
        const empty = valueNode === null || (isScalar(valueNode) && valueNode.value === null);
        const entry: Entry = { preferKey: empty || isMap(valueNode) || isSeq(valueNode) };
        if (keyPos) entry.key = keyPos;
        if (valueNode?.range && !empty) entry.value = this.pos(valueNode.range[0]);
        this.entries.set(p, entry);
        if (valueNode) this.walk(valueNode, p);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const n = item as Node | null;
        const p = childPath(path, i);
        const entry: Entry = { preferKey: false };
        if (n?.range) entry.value = this.pos(n.range[0]);
        this.entries.set(p, entry);
        if (n) this.walk(n, p);
      });
    }
  }
}

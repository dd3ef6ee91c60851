/**
 * The list as the planner reads it: its members in the order they were read, indexed by key as they arrive.
 * A plan reads the list first (10,000 pages over HTTP for a million members, or the local snapshot), then streams
 * the segment against it; building the index while the list is read puts that work where the wait already is,
 * so a plan of a large segment starts comparing at its first row (BENCHMARKS.md, segment sources).
 */
import type { MappingConfig } from './config/model.ts';
import { KeyIndex } from './key-index.ts';
import type { ObservedContact } from './model.ts';
import { mappedColumns, memberRepeatable } from './segment/normalize.ts';
import { cellRule, memberRow, PRINT, printRow, viewOf, type CellRule } from './segment/row-print.ts';

export class ObservedList {
  readonly #members: ObservedContact[] = [];
  /** key → position of the first member with that key. */
  readonly #index = new KeyIndex((position) => this.#members[position]!.key);
  /** Later members whose key an earlier one has: ActiveCampaign keeps one contact per email, so never matched. */
  #repeats: Set<number> | undefined;
  /** Members whose values no segment row can repeat exactly (normalize.ts): rows matching them take the full path. */
  #unrepeatable: Set<number> | undefined;
  #active = 0;
  /** The members' prints for the mapping the list was made for (row-print.ts), taken as they are added. */
  #prints: MemberPrints | undefined;

  /**
   * `mapping`: the export's, when known as the list is read; the rows of its text sources are then recognised by
   * their prints from the first row on. Without it they are taken when a plan first needs them.
   */
  constructor(mapping?: MappingConfig) {
    if (mapping !== undefined) this.#prints = new MemberPrints(mapping, mappedColumns(mapping));
  }

  static of(members: Iterable<ObservedContact>, mapping?: MappingConfig): ObservedList {
    if (members instanceof ObservedList) return members;
    const list = new ObservedList(mapping);
    for (const m of members) list.add(m);
    return list;
  }

  add(member: ObservedContact): void {
    const at = this.#members.length;
    this.#members.push(member);
    if (this.#index.add(member.key, at) !== undefined) {
      // The first one decides.
      this.#repeats ??= new Set();
      this.#repeats.add(at);
      return;
    }
    if (member.listStatus === 0 || member.listStatus === 1) this.#active++;
    if (!memberRepeatable(member)) {
      this.#unrepeatable ??= new Set();
      this.#unrepeatable.add(at);
      return;
    }
    this.#prints?.add(at, member);
  }

  /**
   * The members' prints for rows of `columns` read with `mapping`, or undefined when such rows cannot be printed
   * (row-print.ts, cellRule). Taken now for every member when the list was made for another mapping or none, and
   * kept for the batches that follow (the planner asks once a batch).
   */
  printsFor(mapping: MappingConfig, columns: readonly string[]): MemberPrints | undefined {
    let prints = this.#prints;
    if (prints === undefined || prints.mapping !== mapping || !sameColumns(prints.columns, columns)) {
      prints = this.#prints = new MemberPrints(mapping, columns);
      if (prints.rule !== undefined) for (let i = 0; i < this.#members.length; i++) if (!this.isRepeat(i) && this.isRepeatable(i)) prints.add(i, this.#members[i]!);
    }
    return prints.rule === undefined ? undefined : prints;
  }

  /** Members, repeats included. */
  get size(): number {
    return this.#members.length;
  }

  /** Active and unconfirmed members (repeats not counted). */
  get active(): number {
    return this.#active;
  }

  at(position: number): ObservedContact | undefined {
    return this.#members[position];
  }

  /** Position of the (first) member with this key. */
  positionOf(key: string): number | undefined {
    return this.#index.get(key);
  }

  /** Position of the (first) member whose key is the ASCII text `bytes[start, end)` lower-cased (key-index.ts). */
  positionOfAsciiLower(bytes: Uint8Array, start: number, end: number): number | undefined {
    return this.#index.getAsciiLower(bytes, start, end);
  }

  /** A later member with the key of an earlier one. */
  isRepeat(position: number): boolean {
    return this.#repeats?.has(position) === true;
  }

  /** Whether a segment row may be compared with this member as it stands, before normalisation (Planner.addRow). */
  isRepeatable(position: number): boolean {
    return this.#unrepeatable?.has(position) !== true;
  }

  /** Members in list order. */
  [Symbol.iterator](): Iterator<ObservedContact> {
    return this.#members[Symbol.iterator]();
  }
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((c, i) => c === b[i]));
}

/** Per member: the print of the row a text source would send for it (row-print.ts), when it has one. */
export class MemberPrints {
  readonly mapping: MappingConfig;
  readonly columns: readonly string[];
  readonly rule: CellRule | undefined;
  #a = new Int32Array(1024);
  #b = new Int32Array(1024);
  /** 1 where a member has a print. */
  #has = new Uint8Array(1024);
  readonly #scratch = Buffer.allocUnsafe(16 * 1024);
  readonly #view = viewOf(this.#scratch);

  constructor(mapping: MappingConfig, columns: readonly string[]) {
    this.mapping = mapping;
    this.columns = columns;
    this.rule = cellRule(mapping, columns);
  }

  add(position: number, member: ObservedContact): void {
    if (this.rule === undefined) return;
    const row = memberRow(member, this.rule);
    // Three bytes a UTF-16 unit at most: a longer row would not fit the scratch buffer (and no real one is).
    if (row === undefined || row.length * 3 > this.#scratch.length) return;
    if (position >= this.#has.length) this.#grow(position);
    const n = this.#scratch.write(row, 0, 'utf8');
    printRow(this.#view, 0, n);
    this.#a[position] = PRINT[0]!;
    this.#b[position] = PRINT[1]!;
    this.#has[position] = 1;
  }

  /** Whether the member at `position` has the print printRow took last. */
  matches(position: number): boolean {
    return this.#has[position] === 1 && this.#a[position] === PRINT[0] && this.#b[position] === PRINT[1];
  }

  #grow(position: number): void {
    let size = this.#has.length;
    while (size <= position) size *= 2;
    const a = new Int32Array(size);
    a.set(this.#a);
    this.#a = a;
    const b = new Int32Array(size);
    b.set(this.#b);
    this.#b = b;
    const has = new Uint8Array(size);
    has.set(this.#has);
    this.#has = has;
  }
}

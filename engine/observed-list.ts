/**
 * The list as the planner reads it: its members in the order they were read, indexed by key as they arrive.
 * A plan reads the list first (10,000 pages over HTTP for a million members, or the local snapshot), then streams
 * the segment against it; building the index while the list is read puts that work where the wait already is,
 * so a plan of a large segment starts comparing at its first row (BENCHMARKS.md, segment sources).
 */
import { KeyIndex } from './key-index.ts';
import type { ObservedContact } from './model.ts';
import { memberRepeatable } from './segment/normalize.ts';

export class ObservedList {
  readonly #members: ObservedContact[] = [];
  /** key → position of the first member with that key. */
  readonly #index = new KeyIndex((position) => this.#members[position]!.key);
  /** Later members whose key an earlier one has: ActiveCampaign keeps one contact per email, so never matched. */
  #repeats: Set<number> | undefined;
  /** Members whose values no segment row can repeat exactly (normalize.ts): rows matching them take the full path. */
  #unrepeatable: Set<number> | undefined;
  #active = 0;

  static of(members: Iterable<ObservedContact>): ObservedList {
    if (members instanceof ObservedList) return members;
    const list = new ObservedList();
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
    }
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

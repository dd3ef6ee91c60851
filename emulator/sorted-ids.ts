/**
 * Ascending arrays of numeric ids. Contacts are created with increasing ids, so inserts are nearly always
 * appends; lookups are binary searches, which is what keeps `id_greater` paging flat however deep it goes.
 */

/** Index of the first element strictly greater than `value`. */
export function upperBound(ids: readonly number[], value: number): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ids[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element greater than or equal to `value`. */
export function lowerBound(ids: readonly number[], value: number): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ids[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function insertSorted(ids: number[], value: number): void {
  const last = ids[ids.length - 1];
  if (last === undefined || last < value) {
    ids.push(value);
    return;
  }
  const at = lowerBound(ids, value);
  if (ids[at] !== value) ids.splice(at, 0, value);
}

export function removeSorted(ids: number[], value: number): boolean {
  const at = lowerBound(ids, value);
  if (ids[at] !== value) return false;
  ids.splice(at, 1);
  return true;
}

// The k largest values seen so far, kept in descending order beside the ids they belong to: the
// overview's top processes and the schedulers' timeline of who ran most, without sorting everything.

/** Inserts (slot, v) into the descending top-k lists. */
export function insertTop(slots: number[], values: number[], k: number, slot: number, v: number): void {
  let i = values.length < k ? values.length : k - 1;
  while (i > 0 && values[i - 1]! < v) {
    if (i < k) {
      values[i] = values[i - 1]!;
      slots[i] = slots[i - 1]!;
    }
    i--;
  }
  values[i] = v;
  slots[i] = slot;
}

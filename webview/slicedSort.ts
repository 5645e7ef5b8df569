// Sorting a million keys without freezing the page: a radix sort whose passes are generators that
// yield every few ten thousand elements, run by SlicedJob (slicedJob.ts) in time slices.

const RADIX_BITS = 11;
const RADIX = 1 << RADIX_BITS;
/** Elements per step between yields in the radix passes (see SCAN_STEP in processIndex.ts). */
const RADIX_STEP = 1 << 13;

/**
 * Sorts slots[0..n) by keys[0..n) ascending, stably (equal keys keep their order), with an LSD radix
 * sort: one pass per 11 bits of the largest key (keys are unsigned, at most 2^32 - 1), so a key range
 * under 2048 (mailbox lengths, statuses, schedulers...) takes one pass, and 2^31 takes three. Each
 * pass is two linear scans: tens of times cheaper than a comparison sort for a million rows.
 * Yields between steps; returns the array that holds the sorted slots (slots or slotScratch).
 */
export function* slicedRadixSort(
  keys: Uint32Array,
  slots: Uint32Array,
  keyScratch: Uint32Array,
  slotScratch: Uint32Array,
  n: number,
  maxKey: number,
): Generator<void, Uint32Array, void> {
  let kIn = keys;
  let sIn = slots;
  let kOut = keyScratch;
  let sOut = slotScratch;
  const count = new Uint32Array(RADIX);
  for (let shift = 0; shift < 32 && maxKey >>> shift !== 0; shift += RADIX_BITS) {
    count.fill(0);
    for (let start = 0; start < n; start += RADIX_STEP) {
      const end = Math.min(n, start + RADIX_STEP);
      for (let i = start; i < end; i++) count[(kIn[i]! >>> shift) & (RADIX - 1)]!++;
      yield;
    }
    let sum = 0;
    for (let b = 0; b < RADIX; b++) {
      const c = count[b]!;
      count[b] = sum;
      sum += c;
    }
    for (let start = 0; start < n; start += RADIX_STEP) {
      const end = Math.min(n, start + RADIX_STEP);
      for (let i = start; i < end; i++) {
        const k = kIn[i]!;
        const at = count[(k >>> shift) & (RADIX - 1)]!++;
        kOut[at] = k;
        sOut[at] = sIn[i]!;
      }
      yield;
    }
    [kIn, kOut] = [kOut, kIn];
    [sIn, sOut] = [sOut, sIn];
  }
  return sIn;
}

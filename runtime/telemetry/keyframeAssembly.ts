// One node-wide keyframe made of N schedulers' keyframes. Each scheduler pages its own processes
// (pages 0..k-1 of its own count); a client is sent one keyframe numbered 0..P-1 with the node's
// total (docs/protocol.md, section 5). Pages go out in the order they arrive, renumbered, once
// every scheduler's first page has said how many pages it has; a scheduler's deltas encoded after
// its own part are held until the whole keyframe is out, since the client applies deltas only
// after a keyframe's last page.

import { pageHeader, restampPage } from "../../protocol/frames.js";

export class KeyframeAssembly {
  /** Pages and total of each scheduler's part, once its first page came. */
  private readonly parts: ({ pages: number; total: number; received: number } | undefined)[];
  private known = 0;
  /** Pages that came before every part's size was known, in arrival order. */
  private early: ArrayBuffer[] = [];
  private pages = 0;
  private total = 0;
  /** The node-wide number of the next page to go out. */
  private next = 0;
  /** Whether any scheduler's part lists processes no delta listed (see KeyframePage). */
  listsNew = false;
  /** Deltas of schedulers whose part is complete, for the clients waiting for this keyframe. */
  readonly heldDeltas: ArrayBuffer[] = [];
  heldBytes = 0;

  constructor(
    readonly snapshot: number,
    schedulers: number,
  ) {
    this.parts = new Array(schedulers).fill(undefined);
  }

  /**
   * A page of scheduler `from` (0-based). Returns the pages that may go out now, renumbered,
   * in order: none while some scheduler's size is unknown.
   */
  page(from: number, frame: ArrayBuffer, listsNew: boolean): ArrayBuffer[] {
    this.listsNew ||= listsNew;
    let part = this.parts[from];
    if (part === undefined) {
      const header = pageHeader(frame);
      part = this.parts[from] = { pages: header.pages, total: header.total, received: 0 };
      this.known++;
      this.pages += header.pages;
      this.total += header.total;
    }
    part.received++;
    this.early.push(frame);
    if (this.known < this.parts.length) return [];
    const out = this.early;
    this.early = [];
    for (const f of out) restampPage(f, this.next++, this.pages, this.total);
    return out;
  }

  /** Whether scheduler `from` has sent all of its part: its deltas from now on follow the keyframe. */
  partDone(from: number): boolean {
    const part = this.parts[from];
    return part !== undefined && part.received === part.pages;
  }

  /** Whether the first page went out with this batch (the node-wide page 0 is in `pages`). */
  static isFirst(frame: ArrayBuffer): boolean {
    return pageHeader(frame).page === 0;
  }

  /** The node-wide page count, once every part's is known. */
  get pagesTotal(): number {
    return this.pages;
  }

  /** Whether the last page has gone out. */
  get done(): boolean {
    return this.known === this.parts.length && this.next === this.pages;
  }

  holdDelta(frame: ArrayBuffer): void {
    this.heldDeltas.push(frame);
    this.heldBytes += frame.byteLength;
  }
}

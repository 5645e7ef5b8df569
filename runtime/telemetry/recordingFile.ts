// `beamline run --record FILE`: the run's recording, written to a file as it happens
// (docs/protocol.md, section 13). Each item is appended with one synchronous write when the hub
// records it, so a run that crashes or is killed leaves every item written so far; a run that
// ends or is stopped (Ctrl-C) closes the file with a trailer. The file keeps within the cap as
// the in-memory recording does: once it grows past the cap, it is written anew from what the
// recording holds (whose header counts what was dropped) and renamed over the old one.

import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";
import { noneDropped, type RecordingDropped } from "../../protocol/control.js";
import { encodeRecordingItem, encodeRecordingStart, type RecordingHeader, type RecordingItem } from "../../protocol/recordingFile.js";

/** Everything the recording holds at one moment, from which the file is written anew. */
export interface RecordingState {
  dropped: RecordingDropped;
  /** Every item it holds, oldest first. */
  items: RecordingItem[];
}

export class RecordingFile {
  private fd: number;
  /** Bytes in the file now. */
  private bytes = 0;
  /** Items in the file now, the trailer's count. */
  private items = 0;
  /** Bytes of the file right after it was last written anew, and what had been dropped by then. */
  private rewrittenBytes = 0;
  private droppedBytesAtRewrite = 0;
  private closed = false;

  /**
   * `header` without `dropped` (nothing is dropped yet); `state` gives what the in-memory
   * recording holds, for writing the file anew.
   */
  constructor(
    readonly path: string,
    private readonly header: Omit<RecordingHeader, "dropped">,
    private readonly state: () => RecordingState,
  ) {
    this.fd = openSync(path, "w");
    this.write(encodeRecordingStart({ ...header, dropped: noneDropped() }));
    this.rewrittenBytes = this.bytes;
  }

  /** Appends an item; past the cap, writes the file anew from the recording. */
  append(item: RecordingItem): void {
    if (this.closed) return;
    this.write(encodeRecordingItem(item));
    this.items++;
    if (this.bytes <= this.header.capBytes) return;
    // Only when that makes it smaller: once the recording has dropped more, or the file has
    // doubled since (items the recording keeps only the latest of: faults, the warnings list).
    const dropped = this.state().dropped.bytes;
    if (dropped > this.droppedBytesAtRewrite || this.bytes > 2 * this.rewrittenBytes) this.rewrite();
  }

  /** The run ended or was stopped: the file gets what the recording dropped since, and its trailer. */
  close(at: number): void {
    if (this.closed) return;
    if (this.state().dropped.bytes > this.droppedBytesAtRewrite) this.rewrite();
    this.write(encodeRecordingItem({ kind: "end", at, items: this.items }));
    this.closed = true;
    closeSync(this.fd);
  }

  /** Writes the whole file anew beside it from the recording's state, then puts it in its place. */
  private rewrite(): void {
    const state = this.state();
    const temp = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(temp, "w");
    let bytes = 0;
    const put = (data: Uint8Array) => {
      writeSync(fd, data);
      bytes += data.length;
    };
    put(encodeRecordingStart({ ...this.header, dropped: { ...state.dropped } }));
    for (const item of state.items) put(encodeRecordingItem(item));
    fsyncSync(fd);
    closeSync(this.fd);
    renameSync(temp, this.path);
    this.fd = fd;
    this.bytes = this.rewrittenBytes = bytes;
    this.items = state.items.length;
    this.droppedBytesAtRewrite = state.dropped.bytes;
  }

  private write(data: Uint8Array): void {
    writeSync(this.fd, data);
    this.bytes += data.length;
  }
}

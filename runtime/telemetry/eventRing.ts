// Trace events of the processes a user chose, in a bounded buffer that counts what it drops.

import { inspect } from "node:util";
import type { EventKind, TraceEvent } from "../../protocol/frames.js";
import { crashLine } from "../core/exitReason.js";

/** The real clock: trace times stay on real time when a seeded run makes performance.now() virtual. */
const realNow = performance.now.bind(performance);

/** Messages and reasons are rendered to at most this many characters. */
const TEXT_LIMIT = 200;

export class EventRing {
  private buffer: TraceEvent[] = [];
  /** Events refused because the buffer was full, since the run started. */
  dropped = 0;
  /** Wall-clock start of the run (epoch ms), set by the scheduler thread from its config. */
  startedAt = performance.timeOrigin + realNow();

  constructor(readonly capacity: number) {}

  record(kind: EventKind, pid: number, other: number, detail: unknown): void {
    if (this.buffer.length >= this.capacity) {
      this.dropped++;
      return;
    }
    this.buffer.push({ time: this.now(), kind, pid, other, text: render(detail) });
  }

  /** Milliseconds since the run started, on the samples' clock (real time, also under --seed). */
  now(): number {
    return performance.timeOrigin + realNow() - this.startedAt;
  }

  /** Takes the buffered events, oldest first. */
  drain(): TraceEvent[] {
    const events = this.buffer;
    this.buffer = [];
    return events;
  }
}

/** A term as text, cut to `limit` characters; a crash reason as its one line (`TypeError: message`). */
export function render(value: unknown, limit = TEXT_LIMIT): string {
  const text = typeof value === "string" ? value : (crashLine(value) ?? inspect(value, { depth: 4, breakLength: Infinity, maxArrayLength: 20, maxStringLength: limit }));
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

// The process control block: everything the scheduler keeps for one process.
// It extends Pid so that a local send reaches the mailbox without a table lookup, and it is the
// iterator that `yield* receive(...)` delegates to, so a waiting process needs no extra objects.
// Kept small on purpose: a parked process should cost a few hundred bytes (docs/architecture.md).

import { stepReceive, type Clause } from "./receive.js";
import type { Signals } from "./signals.js";
import { Pid } from "./terms.js";
import type { ARMING, Timer } from "./timers.js";

export type Status = "runnable" | "running" | "waiting" | "exited";

/**
 * One message in a mailbox: a singly linked list, appended at the tail, removed anywhere by
 * receive. The scheduler reuses taken nodes (Scheduler.took), so a node is only ever referred to
 * from its mailbox: by its predecessor, `head`, `tail`, `scanAfter` or a call's marker.
 */
export class MessageNode {
  next: MessageNode | null = null;
  constructor(public msg: unknown) {}
}

/** A process generator; what it yields tells the scheduler why it stopped. */
export type ProcessGenerator = Generator<unknown, unknown, unknown>;

export class Process extends Pid implements Iterator<unknown, unknown, unknown> {
  status: Status = "runnable";
  /**
   * Its arguments until its first slice, then its generator, null once it ended. The generator
   * is created late, so that a queued process costs its arguments, not a whole generator.
   */
  body: unknown[] | ProcessGenerator | null;
  /** The mailbox: oldest message first. */
  head: MessageNode | null = null;
  tail: MessageNode | null = null;
  mailboxLength = 0;
  /** The clauses of the receive the process is in: one clause, a list, or null to take any message. */
  clauses: Clause | readonly Clause[] | null = null;
  /** The last message that receive rejected: its scan goes on after it (null: from the oldest). */
  scanAfter: MessageNode | null = null;
  /** The armed `after` timer of the receive, ARMING before it is in the heap, or TIMED_OUT once it fired. */
  timer: Timer | typeof ARMING | typeof TIMED_OUT | null = null;
  reductions = 0;
  /** Site ids from the loader (0 = unknown): where the process was spawned, where it waits. */
  spawnSite = 0;
  waitSite = 0;
  /** The telemetry interval in which the process was last marked changed. */
  changedIn = 0;
  /** The scheduler's list of live processes, for enumeration without a table. */
  prevLive: Process | null = null;
  nextLive: Process | null = null;
  /** The next process in the scheduler's run queue (see runQueue.ts). */
  nextRun: Process | null = null;
  /** Links, monitors, trapping, waiting callers and generator handlers (signals.ts); null until the process has any. */
  signals: Signals | null = null;

  constructor(
    id: number,
    /** The function the process started in, for crash reports and the inspector. */
    readonly fn: (...args: unknown[]) => ProcessGenerator,
    args: unknown[],
  ) {
    super(id);
    this.body = args;
  }

  /** Appends a node that holds a message (already copied) to the mailbox. */
  enqueue(node: MessageNode): void {
    if (this.tail === null) this.head = node;
    else this.tail.next = node;
    this.tail = node;
    this.mailboxLength++;
  }

  /** Unlinks `node`, whose predecessor is `prev` (null when `node` is the head). */
  unlink(prev: MessageNode | null, node: MessageNode): void {
    if (prev === null) this.head = node.next;
    else prev.next = node.next;
    if (this.tail === node) this.tail = prev;
    // A taken node that the young generation promoted would otherwise keep its successor alive,
    // and that one the next: a long queue's whole stream of messages dragged into old space
    // (docs/performance.md, "Bottleneck's slow mode").
    node.next = null;
    this.mailboxLength--;
  }

  [Symbol.iterator](): this {
    return this;
  }

  next(input?: unknown): IteratorResult<unknown, unknown> {
    return stepReceive(this, input);
  }
}

/** Generator handlers, outermost first; `depth` is how many of them the current step has entered. */
export class HandlerStack {
  readonly running: Iterator<unknown, unknown, unknown>[] = [];
  depth = 0;
}

/**
 * Marks a receive whose `after` timer fired. An object, not a symbol: a process's timer is then
 * always an object or null, so that comparing it with this is one pointer comparison, where a
 * symbol made V8 call its generic equality on every receive that waited (docs/performance.md,
 * "Counter slots as numbers").
 */
export const TIMED_OUT = Object.freeze({ timedOut: true } as const);

// The process control block: everything the scheduler keeps for one process.
// It extends Pid so that a local send reaches the mailbox without a table lookup.
// Kept small on purpose: a parked process should cost a few hundred bytes (DESIGN.md).

import { Pid } from "./terms.js";
import type { Timer } from "./timers.js";

export type Status = "runnable" | "running" | "waiting" | "exited";

/** One message in a mailbox: a singly linked list, appended at the tail, removed anywhere by receive. */
export class MessageNode {
  next: MessageNode | null = null;
  constructor(readonly msg: unknown) {}
}

/** A process generator; what it yields tells the scheduler why it stopped. */
export type ProcessGenerator = Generator<unknown, unknown, unknown>;

export class Process extends Pid {
  status: Status = "runnable";
  gen: ProcessGenerator | null;
  /** The mailbox: oldest message first. */
  head: MessageNode | null = null;
  tail: MessageNode | null = null;
  mailboxLength = 0;
  /** The armed `after` timer of the receive the process waits in. */
  timer: Timer | null = null;
  /** Set when that timer fired; the receive then runs its `after` clause. */
  timedOut = false;
  /** The registered name, when the process has one. */
  name: string | undefined = undefined;
  reductions = 0;

  constructor(
    id: number,
    /** The function the process started in, for crash reports and the inspector. */
    readonly fn: Function,
    gen: ProcessGenerator,
  ) {
    super(id);
    this.gen = gen;
  }

  /** Appends a message (already copied) to the mailbox. */
  enqueue(msg: unknown): void {
    const node = new MessageNode(msg);
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
    this.mailboxLength--;
  }
}

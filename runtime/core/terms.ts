// Identifiers that processes exchange: process ids and unique references.
// Both are immutable, so the message copier shares them instead of copying them.

import { formatPid } from "../../protocol/control.js";
import { formatRef } from "../../protocol/termSyntax.js";

const inspectCustom = Symbol.for("nodejs.util.inspect.custom");

/** A process identifier, printed like Erlang's `<0.84.0>`. */
export class Pid {
  constructor(readonly id: number) {}

  toString(): string {
    return formatPid(this.id);
  }

  toJSON(): string {
    return this.toString();
  }

  [inspectCustom](): string {
    return this.toString();
  }
}

/** A unique reference (`makeRef()`), printed like Erlang's `#Ref<0.1.2.3>`. */
export class Ref {
  constructor(
    readonly scheduler: number,
    readonly id: number,
  ) {}

  toString(): string {
    return formatRef(this.scheduler, this.id);
  }

  toJSON(): string {
    return this.toString();
  }

  [inspectCustom](): string {
    return this.toString();
  }
}

/** Whether two pids name the same process, also across copies made between schedulers. */
export function samePid(a: Pid, b: Pid): boolean {
  return a === b || a.id === b.id;
}

/** Whether two refs are the same reference, also across copies made between schedulers. */
export function sameRef(a: Ref, b: Ref): boolean {
  return a === b || (a.id === b.id && a.scheduler === b.scheduler);
}

// Registered names: a name is unique, and a process holds at most one name.
//
// With one scheduler the names live in this thread's Maps. With several, every scheduler's Registry
// wraps the one node-wide NameTable (nameTable.ts), so a name is unique across schedulers and
// `whereis` on any scheduler finds a name the moment `register` on another returned. The table
// keeps the reverse direction too, so the one-name rule holds for pids of every scheduler, and a
// process's own scheduler frees its name at exit whichever scheduler registered it.

import { checkNameLength, RegistryError, type NameTable } from "./nameTable.js";
import type { Process } from "./process.js";
import type { Pid } from "./terms.js";

export { RegistryError } from "./nameTable.js";

/** What a Registry over the node-wide table needs from its scheduler. */
export interface SharedNames<P extends Pid> {
  table: NameTable;
  /** The pid with this id: its Process if it lives on this scheduler, otherwise a Pid. */
  pidFor(id: number): P;
  /** Whether the process with this id, on any scheduler, is alive (core/liveness.ts). */
  isAlive(id: number): boolean;
}

/**
 * The names as one scheduler sees them. `P` is what `whereis` returns: a local Process with one
 * scheduler; with the shared table, the scheduler's pidFor decides (a Process or a remote Pid).
 */
export class Registry<P extends Pid = Process> {
  private readonly names = new Map<string, Process>();
  /** The reverse direction; few processes have names, so it is kept here rather than in every process. */
  private readonly nameOf = new Map<Process, string>();
  private readonly table: NameTable | undefined;
  private readonly pidFor: ((id: number) => P) | undefined;
  private readonly isAlive: ((id: number) => boolean) | undefined;
  /** With the table: local processes registered here, by id, so that whereis finds them without pidFor. */
  private readonly registeredHere = new Map<number, P>();

  constructor(shared?: SharedNames<P>) {
    this.table = shared?.table;
    this.pidFor = shared?.pidFor;
    this.isAlive = shared?.isAlive;
  }

  register(name: string, p: P): void {
    if (typeof name !== "string" || name.length === 0) {
      throw new RegistryError(`register: a name must be a non-empty string, got ${describe(name)}`);
    }
    checkNameLength(name);
    const table = this.table;
    if (table !== undefined) {
      if (isLocal(p) && p.status === "exited") {
        const holder = table.whereis(name);
        if (holder !== 0) throw this.taken(name, holder);
        throw new RegistryError(`register: ${p} is not alive, so it cannot take the name "${name}"`);
      }
      const result = table.register(name, p.id);
      if (result > 0) throw this.taken(name, result);
      if (result < 0) {
        // The pid's name may be freed meanwhile by another scheduler; the error names what it held.
        throw new RegistryError(`register: ${p} is already registered as "${table.nameOf(p.id) ?? "another name"}"; a process holds at most one name`);
      }
      if (isLocal(p)) this.registeredHere.set(p.id, p);
      else if (!this.isAlive!(p.id)) {
        // A process of another scheduler frees its name at exit, after it clears its liveness bit:
        // seen alive after the name was written, its exit still frees it; seen dead, it may have
        // exited before, so this scheduler takes the name back, or it would stay taken for good.
        table.unregister(name, p.id);
        throw new RegistryError(`register: ${p} is not alive, so it cannot take the name "${name}"`);
      }
      return;
    }
    const holder = this.names.get(name);
    if (holder !== undefined) {
      throw new RegistryError(`register: the name "${name}" is already taken by ${holder}`);
    }
    const q = p as Pid as Process;
    if (q.status === "exited") throw new RegistryError(`register: ${q} is not alive, so it cannot take the name "${name}"`);
    const held = this.nameOf.get(q);
    if (held !== undefined) {
      throw new RegistryError(`register: ${q} is already registered as "${held}"; a process holds at most one name`);
    }
    this.names.set(name, q);
    this.nameOf.set(q, name);
  }

  /** Frees a name, whoever holds it; returns the pid that held it. */
  unregister(name: string): P {
    const table = this.table;
    if (table !== undefined) {
      const id = typeof name === "string" ? table.unregisterAny(name) : 0;
      if (id === 0) throw new RegistryError(`unregister: no process is registered as "${name}"`);
      return this.pid(id);
    }
    const holder = this.names.get(name);
    if (holder === undefined) throw new RegistryError(`unregister: no process is registered as "${name}"`);
    this.names.delete(name);
    this.nameOf.delete(holder);
    return holder as Pid as P;
  }

  whereis(name: string): P | undefined {
    const table = this.table;
    if (table === undefined) return this.names.get(name) as Pid as P | undefined;
    if (typeof name !== "string") return undefined;
    const id = table.whereis(name);
    return id === 0 ? undefined : this.pid(id);
  }

  /** Every registered name; with the table, over all schedulers. */
  registered(): string[] {
    return this.table !== undefined ? this.table.registered() : [...this.names.keys()];
  }

  /** The name a process holds, if any. */
  nameFor(p: Pid): string | undefined {
    if (this.table !== undefined) return this.table.nameOf(p.id);
    // Every exit and every telemetry record asks; most programs have few names or none.
    if (this.nameOf.size === 0) return undefined;
    return this.nameOf.get(p as Process);
  }

  /** Frees the name of a process that exits (called by its own scheduler). */
  release(p: Pid): void {
    if (this.table !== undefined) {
      this.table.release(p.id);
      if (this.registeredHere.size !== 0) this.registeredHere.delete(p.id);
      return;
    }
    if (this.nameOf.size === 0) return;
    const name = this.nameOf.get(p as Process);
    if (name !== undefined) {
      this.names.delete(name);
      this.nameOf.delete(p as Process);
    }
  }

  private pid(id: number): P {
    return this.registeredHere.get(id) ?? this.pidFor!(id);
  }

  private taken(name: string, holder: number): RegistryError {
    return new RegistryError(`register: the name "${name}" is already taken by ${this.pid(holder)}`);
  }
}

/** A Process is a Pid of this scheduler with a status; a pid of another scheduler is a plain Pid. */
function isLocal(p: Pid): p is Pid & Process {
  return "status" in p;
}

function describe(value: unknown): string {
  return typeof value === "string" ? `""` : `${typeof value} ${String(value)}`;
}

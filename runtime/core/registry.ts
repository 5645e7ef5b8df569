// Registered names: a name is unique, and a process holds at most one name.

import type { Process } from "./process.js";

export class RegistryError extends Error {
  override name = "RegistryError";
}

export class Registry {
  private readonly names = new Map<string, Process>();
  /** The reverse direction; few processes have names, so it is kept here rather than in every process. */
  private readonly nameOf = new Map<Process, string>();

  register(name: string, p: Process): void {
    if (typeof name !== "string" || name.length === 0) {
      throw new RegistryError(`register: a name must be a non-empty string, got ${describe(name)}`);
    }
    const holder = this.names.get(name);
    if (holder !== undefined) {
      throw new RegistryError(`register: the name "${name}" is already taken by ${holder}`);
    }
    if (p.status === "exited") throw new RegistryError(`register: ${p} is not alive, so it cannot take the name "${name}"`);
    const held = this.nameOf.get(p);
    if (held !== undefined) {
      throw new RegistryError(`register: ${p} is already registered as "${held}"; a process holds at most one name`);
    }
    this.names.set(name, p);
    this.nameOf.set(p, name);
  }

  unregister(name: string): void {
    const holder = this.names.get(name);
    if (holder === undefined) throw new RegistryError(`unregister: no process is registered as "${name}"`);
    this.names.delete(name);
    this.nameOf.delete(holder);
  }

  whereis(name: string): Process | undefined {
    return this.names.get(name);
  }

  registered(): string[] {
    return [...this.names.keys()];
  }

  /** The name a process holds, if any. */
  nameFor(p: Process): string | undefined {
    // Every exit and every telemetry record asks; most programs have few names or none.
    if (this.nameOf.size === 0) return undefined;
    return this.nameOf.get(p);
  }

  /** Frees the name of a process that exits. */
  release(p: Process): void {
    if (this.nameOf.size === 0) return;
    const name = this.nameOf.get(p);
    if (name !== undefined) {
      this.names.delete(name);
      this.nameOf.delete(p);
    }
  }
}

function describe(value: unknown): string {
  return typeof value === "string" ? `""` : `${typeof value} ${String(value)}`;
}

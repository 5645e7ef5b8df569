// Process functions by name, so that a process can start on another scheduler thread. Every
// scheduler loads the same program, so a top-level function of it has the same name on each: a
// spawn elsewhere sends the name and the arguments, as Erlang's spawn(M, F, A) does. A closure has
// no such name and starts only on the scheduler that made it (docs/architecture.md, "Schedulers").

export class ProcessFunctions {
  private readonly byName = new Map<string, Function>();
  private readonly nameOf = new Map<Function, string>();

  /** Names the program's top-level generator functions (the loader inserts the call). */
  define(functions: Record<string, Function>): void {
    for (const [name, fn] of Object.entries(functions)) {
      // A name stays with its first function: the loader only passes top-level names, which are unique.
      if (this.byName.has(name) || this.nameOf.has(fn)) continue;
      this.byName.set(name, fn);
      this.nameOf.set(fn, name);
    }
  }

  /** The name another scheduler knows `fn` by, or undefined for a closure. */
  nameFor(fn: Function): string | undefined {
    return this.nameOf.get(fn);
  }

  byKey(name: string): Function | undefined {
    return this.byName.get(name);
  }
}

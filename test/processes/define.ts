// How a test's process functions become known to every scheduler of the in-thread harness
// (test/harness.ts): a module under test/processes/ ends with
// `defineProcesses(import.meta.url, { fnA, fnB })`, as the loader appends `__bl_def({...})` to a
// program (core/processFunctions.ts). The harness's scheduler threads import every module that
// did so on the test's thread, so that a spawn of one of these functions can start on any of them.
// This module imports nothing of node:test, so that a scheduler thread can load it.

import { __beamlineDefine } from "../../runtime/api.js";

/** The modules that defined process functions in this thread, in the order they did. */
export const processModules: string[] = [];

const definedBy = new Map<string, { fn: Function; module: string }>();

/** Names `functions` on this thread's scheduler; a name two modules use is an error, never a silent pick. */
export function defineProcesses(module: string, functions: Record<string, Function>): void {
  for (const [name, fn] of Object.entries(functions)) {
    const earlier = definedBy.get(name);
    if (earlier !== undefined && earlier.fn !== fn) {
      throw new Error(`defineProcesses: ${module} names a process function ${name}, which ${earlier.module} named already; process function names are one namespace`);
    }
    definedBy.set(name, { fn, module });
  }
  if (!processModules.includes(module)) processModules.push(module);
  __beamlineDefine(functions);
}

// A stand-in for a live process of this thread's scheduler, for tests of the registry alone: the
// registry reads only a process's id and status.

import type { Process } from "../runtime/core/process.js";
import { Pid } from "../runtime/core/terms.js";

export function fakeProcess(id: number, status = "running"): Process {
  return Object.assign(new Pid(id), { status }) as unknown as Process;
}

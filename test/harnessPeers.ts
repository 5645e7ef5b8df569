// The in-thread harness's schedulers (test/harness.ts) join one mesh, as a run's scheduler threads
// do (runtime/worker.ts), but place new processes on purpose: round robin over every scheduler,
// starting with the next one, so that a test's processes, links, monitors and calls cross threads
// even where the balancer would keep them home (it only places elsewhere when the spawner's run
// queue is the longer one; docs/architecture.md, "Schedulers").

import { Peers, type MeshPort } from "../runtime/core/peers.js";
import { Liveness } from "../runtime/core/liveness.js";
import { NameTable } from "../runtime/core/nameTable.js";
import type { Scheduler } from "../runtime/core/scheduler.js";
import { Mesh } from "../runtime/mesh/mesh.js";
import type { MeshBuffers } from "../runtime/mesh/meshBuffers.js";

/** The shared memory of the harness's schedulers, made once by the test's thread. */
export interface HarnessBuffers {
  count: number;
  mesh: MeshBuffers;
  counters: SharedArrayBuffer;
  names: SharedArrayBuffer;
  liveness: SharedArrayBuffer[];
}

/** Round-robin placement of named process functions; a closure starts where it was made. */
class RoundRobinPeers extends Peers {
  private next: number;

  constructor(
    private readonly home: Scheduler,
    mesh: MeshPort,
    counters: SharedArrayBuffer,
    liveness: Liveness,
  ) {
    super(home, mesh, counters, liveness);
    this.next = home.index + 1;
  }

  override place(fn: Function): number {
    if (this.home.functions.nameFor(fn) === undefined) return this.home.index;
    return this.next++ % this.home.count;
  }
}

/**
 * Makes `s` scheduler `index` (0-based) of the harness's mesh and connects it; returns its Mesh,
 * whose wake() ends the thread's sleep. Call it before `s` spawns anything: pids encode the count.
 */
export function joinHarnessMesh(s: Scheduler, index: number, buffers: HarnessBuffers): Mesh {
  s.index = index;
  s.count = buffers.count;
  s.idStride = 2 * buffers.count;
  const mesh = new Mesh(buffers.mesh, index, { spinMicros: 0 });
  s.connect(new RoundRobinPeers(s, mesh, buffers.counters, new Liveness(buffers.liveness, buffers.count)), new NameTable(buffers.names));
  return mesh;
}

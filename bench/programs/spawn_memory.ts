// Spawn time and heap bytes per idle process: 1,000,000 processes that each wait in receive.
import { getHeapStatistics } from "node:v8";
import { on, receive, send, spawn, self, Pid } from "beamline";

const N = Number(process.env.BENCH_N ?? 1_000_000);

function* idle(parent: Pid) {
  yield* receive(on("stop"));
  send(parent, "stopped");
}

const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => {
  gc?.();
  return getHeapStatistics().used_heap_size;
};

export function* main() {
  const me = self();
  // The pid array is allocated before the first measurement so that only processes are counted.
  const pids: (Pid | null)[] = new Array(N).fill(null);
  const before = heap();
  const started = performance.now();
  // The loop is preempted every 2000 reductions like any process loop, so most new processes run
  // to their receive inside this window too (as on the BEAM, where the spawner is preempted).
  for (let i = 0; i < N; i++) pids[i] = spawn(idle, me);
  const spawned = performance.now();
  // Let the last ones run to their receive (a bare yield goes to the back of the run queue),
  // then measure the parked processes.
  yield;
  const parked = performance.now();
  const after = heap();
  for (let i = 0; i < N; i++) send(pids[i]!, "stop");
  for (let i = 0; i < N; i++) yield* receive(on("stopped"));
  console.log(
    "BENCH " +
      JSON.stringify({
        processes: N,
        spawnUs: ((spawned - started) * 1000) / N,
        spawnAndParkUs: ((parked - started) * 1000) / N,
        bytesPerProcess: (after - before) / N,
        gcExposed: gc !== undefined,
      }),
  );
}

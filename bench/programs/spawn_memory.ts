// Spawn time and heap bytes per idle process: 1,000,000 processes that each wait in receive.
// Then the same again into a warm heap: once the first million have ended, a second million is
// spawned into memory the heap already has, which shows what spawning costs apart from the
// machine's first touch of fresh pages (docs/performance.md).
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
  const spawnUs: number[] = [];
  let spawnAndParkUs = 0;
  let bytesPerProcess = 0;
  // Round 0 spawns into a fresh heap, round 1 into the memory that round 0's processes left.
  for (let round = 0; round < 2; round++) {
    const before = heap();
    const started = performance.now();
    // The loop is preempted every 2000 reductions like any process loop, so most new processes run
    // to their receive inside this window too (as on the BEAM, where the spawner is preempted).
    for (let i = 0; i < N; i++) pids[i] = spawn(idle, me);
    spawnUs.push(((performance.now() - started) * 1000) / N);
    // Let the last ones run to their receive (a bare yield goes to the back of the run queue),
    // then measure the parked processes.
    yield;
    if (round === 0) {
      spawnAndParkUs = ((performance.now() - started) * 1000) / N;
      bytesPerProcess = (heap() - before) / N;
    }
    for (let i = 0; i < N; i++) send(pids[i]!, "stop");
    for (let i = 0; i < N; i++) yield* receive(on("stopped"));
  }
  console.log(
    "BENCH " +
      JSON.stringify({
        processes: N,
        spawnUs: spawnUs[0],
        spawnAndParkUs,
        bytesPerProcess,
        warmSpawnUs: spawnUs[1],
        gcExposed: gc !== undefined,
      }),
  );
}

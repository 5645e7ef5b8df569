// spawnLink and spawnMonitor per process, beside plain spawn: N processes that each wait in
// receive, spawned by one process, three times into a warm heap (an untimed round first pays the
// first touch of fresh memory, docs/performance.md). spawnUs: spawn; spawnLinkUs: spawnLink, so
// the spawner holds N links; spawnMonitorUs: spawnMonitor, so it holds N monitors and gets N DOWN
// messages once they stop (collected outside the timed loop). As bench/erlang/spawn_link_monitor.erl.
import { on, receive, send, spawn, spawnLink, spawnMonitor, self, Pid, Ref, _ } from "beamline";

const N = Number(process.env.BENCH_N ?? 200_000);

function* idle(parent: Pid) {
  yield* receive(on("stop"));
  send(parent, "stopped");
}

function* idleMonitored() {
  yield* receive(on("stop"));
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Stops the processes and waits until each has said so (a normal exit sends no exit signal). */
function* stopAll(pids: Pid[]) {
  for (const pid of pids) send(pid, "stop");
  for (let i = 0; i < pids.length; i++) yield* receive(on("stopped"));
  gc?.();
}

function* stopMonitored(pids: Pid[]) {
  for (const pid of pids) send(pid, "stop");
  for (let i = 0; i < pids.length; i++) yield* receive(on(["DOWN", Ref, "process", Pid, "normal"]));
  gc?.();
}

export function* main() {
  const me = self();
  const pids: Pid[] = new Array(N);
  for (let i = 0; i < N; i++) pids[i] = spawn(idle, me);
  yield* stopAll(pids);

  let started = performance.now();
  for (let i = 0; i < N; i++) pids[i] = spawn(idle, me);
  const spawnUs = ((performance.now() - started) * 1000) / N;
  yield* stopAll(pids);

  started = performance.now();
  for (let i = 0; i < N; i++) pids[i] = spawnLink(idle, me);
  const spawnLinkUs = ((performance.now() - started) * 1000) / N;
  yield* stopAll(pids);

  started = performance.now();
  for (let i = 0; i < N; i++) pids[i] = spawnMonitor(idleMonitored)[0];
  const spawnMonitorUs = ((performance.now() - started) * 1000) / N;
  yield* stopMonitored(pids);

  console.log("BENCH " + JSON.stringify({ processes: N, spawnUs, spawnLinkUs, spawnMonitorUs }));
}

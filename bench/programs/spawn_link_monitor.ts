// spawnLink and spawnMonitor per process, beside plain spawn: N processes that each wait in
// receive, spawned by one process, three times into a warm heap (an untimed round first pays the
// first touch of fresh memory, docs/performance.md). spawnUs: spawn; spawnLinkUs: spawnLink, so
// the spawner holds N links (it traps exits, to wait for their N EXIT messages once they stop);
// spawnMonitorUs: spawnMonitor, so it holds N monitors and gets N DOWN messages once they stop.
// The waiting for the EXITs and DOWNs is outside the timed loops. As bench/erlang/spawn_link_monitor.erl.
import { on, processFlag, receive, send, spawn, spawnLink, spawnMonitor, self, Pid, Ref } from "beamline";

const N = Number(process.env.BENCH_N ?? 200_000);

function* idle(parent: Pid) {
  yield* receive(on("stop"));
  send(parent, "stopped");
}

/** A linked or monitored process: it ends on stop, and its EXIT or DOWN tells the spawner. */
function* idleQuiet() {
  yield* receive(on("stop"));
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Stops the processes and waits until each has said so (a normal exit sends no exit signal). */
function* stopAll(pids: Pid[]) {
  for (const pid of pids) send(pid, "stop");
  for (let i = 0; i < pids.length; i++) yield* receive(on("stopped"));
  gc?.();
}

/** The spawner traps exits meanwhile, so each linked process's exit arrives as an EXIT message. */
function* stopLinked(pids: Pid[]) {
  for (const pid of pids) send(pid, "stop");
  for (let i = 0; i < pids.length; i++) yield* receive(on(["EXIT", Pid, "normal"]));
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

  processFlag("trapExit", true);
  started = performance.now();
  for (let i = 0; i < N; i++) pids[i] = spawnLink(idleQuiet);
  const spawnLinkUs = ((performance.now() - started) * 1000) / N;
  yield* stopLinked(pids);
  processFlag("trapExit", false);

  started = performance.now();
  for (let i = 0; i < N; i++) pids[i] = spawnMonitor(idleQuiet)[0];
  const spawnMonitorUs = ((performance.now() - started) * 1000) / N;
  yield* stopMonitored(pids);

  console.log("BENCH " + JSON.stringify({ processes: N, spawnUs, spawnLinkUs, spawnMonitorUs }));
}

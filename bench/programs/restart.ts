// Restart latency under one_for_one: a supervisor with one server child; the client kills the
// child (exit(pid, "kill")) and times until a call to the restarted child has answered. The client
// finds the new child by asking the supervisor (whichChildren) until it names a pid other than the
// killed one. restartUs: the mean over the rounds; restartMedianUs: their median. The supervisor
// allows every restart of the run (intensity above the rounds, period 1 s), so what is timed is the
// restart itself, with the supervisor's bookkeeping of recent restarts. As bench/erlang/restart.erl.
import { call, exit, Pid, startServerLink, startSupervisor, whichChildren, type ServerSpec } from "beamline";

const rounds = Number(process.env.BENCH_N ?? 10_000);
const warmup = Math.max(1, Math.floor(rounds / 10));

const worker: ServerSpec<null> = {
  name: "worker",
  init: () => null,
  handleCall: (_request: "ping", state) => ["pong", state],
};

function* child(sup: Pid) {
  const [only] = yield* whichChildren(sup);
  return only!.pid;
}

/** The restarted child: the supervisor names the old pid (or none) until it has handled the EXIT and started the new one. */
function* newChild(sup: Pid, old: Pid | undefined) {
  for (;;) {
    const pid = yield* child(sup);
    if (pid !== undefined && pid !== old) return pid;
  }
}

function* restartOnce(sup: Pid) {
  const old = yield* child(sup);
  const started = performance.now();
  exit(old!, "kill");
  const fresh = yield* newChild(sup, old);
  if ((yield* call(fresh, "ping")) !== "pong") throw new Error("the restarted child did not answer pong");
  return (performance.now() - started) * 1000;
}

export function* main() {
  const sup = startSupervisor({
    strategy: "one_for_one",
    intensity: rounds + warmup + 1,
    period: 1000,
    children: [{ id: "worker", start: [startServerLink, worker] }],
  });
  for (let i = 0; i < warmup; i++) yield* restartOnce(sup);
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < rounds; i++) times.push(yield* restartOnce(sup));
  const loopUs = ((performance.now() - started) * 1000) / rounds;
  const restartUs = times.reduce((a, b) => a + b, 0) / rounds;
  const restartMedianUs = [...times].sort((a, b) => a - b)[rounds >> 1];
  console.log("BENCH " + JSON.stringify({ restarts: rounds, restartUs, restartMedianUs, loopUs }));
}

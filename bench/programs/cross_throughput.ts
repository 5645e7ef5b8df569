// Throughput across schedulers, one way: one sender per scheduler, each sending small integers to
// a receiver on the next scheduler (sender on k, receiver on k % N + 1), all at once. Messages per
// second, from the first spawn to the last receiver's `done`. Each receiver checks that its
// sender's messages arrive in order. BENCH_N is the number of messages in all (default 2,000,000),
// after an untimed round of a tenth of that. Needs at least two schedulers (`--schedulers 2`).
// The same as bench/erlang/cross_throughput.erl.
import { receive, schedulers, self, send, spawnOn, Pid } from "beamline";

function* receiver(main: Pid, count: number) {
  for (let k = 0; k < count; k++) {
    const n = yield* receive();
    if (n !== k) throw new Error(`message ${k} from the sender arrived as ${String(n)}: out of order`);
  }
  send(main, "done");
}

function* sender(to: Pid, count: number) {
  for (let k = 0; k < count; k++) send(to, k);
}

function* run(perSender: number) {
  const me = self();
  const count = schedulers();
  const started = performance.now();
  for (let k = 1; k <= count; k++) {
    const to = spawnOn((k % count) + 1, receiver, me, perSender);
    spawnOn(k, sender, to, perSender);
  }
  for (let k = 1; k <= count; k++) yield* receive();
  return (count * perSender) / ((performance.now() - started) / 1000);
}

export function* main() {
  const total = Number(process.env.BENCH_N ?? 2_000_000);
  if (schedulers() < 2) throw new Error(`cross_throughput needs two schedulers or more (--schedulers 2); this run has ${schedulers()}`);
  const perSender = Math.max(1, Math.floor(total / schedulers()));
  yield* run(Math.max(1, Math.floor(perSender / 10)));
  const messagesPerSec = yield* run(perSender);
  console.log("BENCH " + JSON.stringify({ senders: schedulers(), perSender, messagesPerSec, schedulers: schedulers() }));
}

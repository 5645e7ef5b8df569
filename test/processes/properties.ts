// The process functions of test/properties.test.ts, named for every scheduler of the harness
// (test/processes/define.ts), so that the properties hold across scheduler threads.

import { on, receive, register, self, send, type Pid } from "../../runtime/api.js";
import { defineProcesses } from "./define.js";

/** Sends `count` messages [id, i] to `parent`, giving up its slice after the i-th where yields[i]. */
function* numberedSender(parent: Pid, id: number, count: number, yields: boolean[]) {
  for (let i = 0; i < count; i++) {
    send(parent, [id, i]);
    if (yields[i]) yield;
  }
}

/** Sends ["m", id, i] to receivers[order[k]] for each k (i counts per receiver), giving up its slice after the k-th where yields[k]; then "done" to each. */
function* pairSender(receivers: Pid[], id: number, order: number[], yields: boolean[]) {
  const next = receivers.map(() => 0);
  for (let k = 0; k < order.length; k++) {
    const to = order[k]!;
    send(receivers[to]!, ["m", id, next[to]!++]);
    if (yields[k]) yield;
  }
  for (const r of receivers) send(r, ["done", id]);
}

/** Collects ["m", sender, i] until every one of `senders` said done, then reports them to `parent` in arrival order. */
function* pairReceiver(parent: Pid, index: number, senders: number) {
  const got: [number, number][] = [];
  for (let done = 0; done < senders; ) {
    const m = (yield* receive(on(["m", Number, Number]), on(["done", Number]))) as ["m", number, number] | ["done", number];
    if (m[0] === "done") done++;
    else got.push([m[1], m[2]]);
  }
  send(parent, ["got", index, got]);
}

/** Gives up `d` slices, then tries to register "the_one" and tells `parent` whether it won. */
function* nameRacer(parent: Pid, d: number) {
  for (let i = 0; i < d; i++) yield;
  let won = true;
  try {
    register("the_one", self());
  } catch {
    won = false;
  }
  send(parent, ["raced", self(), won]);
  yield* receive(on("stop"));
}

defineProcesses(import.meta.url, { numberedSender, pairSender, pairReceiver, nameRacer });

export { numberedSender, pairSender, pairReceiver, nameRacer };

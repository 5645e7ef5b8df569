// Unbounded mailbox: messages that no receive clause matches stay in the mailbox forever.
//
// A server handles only ["msg", x]. Its clients also send other messages (["hello", n]). Those
// are never taken out: the mailbox grows with every round, and the server gets slower, because
// every receive walks past all the old unmatched messages before it finds a ["msg", x].
// The fix is a catch-all clause at the end of the receive, `on(_, ...)`, which takes (and here
// logs) anything unexpected, so the mailbox stays empty.
//
// Beamline has no mailbox-length API. So main knows how many odd messages the clients sent, and
// at the end of each step the server is asked to "drain": it takes every message left in its
// mailbox with a catch-all receive and after(0) (a poll), counts them, and reports the count.
//
// Run:   npx beamline run examples/unbounded_mailbox.ts
//   or:  node dist/runtime/cli.js run examples/unbounded_mailbox.ts
//
// What to watch: in step 1 the number of stuck messages grows every round and so does the time
// the server needs for the same 2,000 ["msg", x] messages; the drain then finds all of them.
// In step 2 (with the catch-all) the time stays flat and the drain finds nothing.

import { spawn, send, receive, on, after, self, call, reply, _, From, Pid } from "beamline";

const ROUNDS = 5;
const CLIENTS = 4;
const PER_CLIENT = 500; // each client sends this many ["msg", x] and as many ["hello", n]

// ---- step 1: a server without a catch-all --------------------------------------------------------

function* strictServer() {
  let handled = 0;
  for (;;) {
    yield* receive(
      on(["msg", Number], () => {
        handled++;
      }),
      on(["$call", From, "handled"], ([, from]) => reply(from, handled)),
      on(["$call", From, "drain"], function* ([, from]) {
        reply(from, yield* drain());
      }),
      // No catch-all: ["hello", n] matches nothing and stays in the mailbox.
    );
  }
}

// ---- step 2: the same server with a catch-all ---------------------------------------------------

function* tolerantServer() {
  let handled = 0;
  let unknown = 0;
  for (;;) {
    yield* receive(
      on(["msg", Number], () => {
        handled++;
      }),
      on(["$call", From, "handled"], ([, from]) => reply(from, handled)),
      on(["$call", From, "drain"], function* ([, from]) {
        reply(from, yield* drain());
      }),
      // The catch-all: takes anything else out of the mailbox. (Only the first few are printed
      // here, to keep the output short; the rest are counted.)
      on(_, (m) => {
        if (++unknown <= 3) console.log("    Unknown message", m);
        else if (unknown === 4) console.log("    ... (the server keeps taking unknown messages; not printing the rest)");
      }),
    );
  }
}

/** Takes every message left in the mailbox, without waiting, and returns how many there were. */
function* drain() {
  let count = 0;
  while (yield* receive(on(_, () => true), after(0, () => false))) count++;
  return count;
}

// ---- the clients -------------------------------------------------------------------------------

function* client(server: Pid, first: number, parent: Pid) {
  for (let i = 0; i < PER_CLIENT; i++) {
    send(server, ["msg", first + i]);
    send(server, ["hello", first + i]);
  }
  send(parent, ["sent", self()]);
}

/** Runs the rounds against `server` and returns how many odd messages were sent in total. */
function* runRounds(server: Pid) {
  let oddSent = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    const started = performance.now();
    for (let c = 0; c < CLIENTS; c++) spawn(client, server, (round * CLIENTS + c) * PER_CLIENT, self());
    for (let c = 0; c < CLIENTS; c++) yield* receive(on(["sent", Pid]));
    // The reply comes after the server has handled every ["msg", x] sent before the call. The
    // slowdown is the lesson, so the call waits as long as it takes: on a loaded machine the
    // default 5 s timeout would end the demo with a CallTimeoutError instead.
    const handled = yield* call<number>(server, "handled", Infinity);
    const ms = performance.now() - started;
    oddSent += CLIENTS * PER_CLIENT;
    console.log(
      `  round ${round}: ${CLIENTS * PER_CLIENT} "msg" handled in ${ms.toFixed(0).padStart(3)} ms (${handled} in all);` +
        ` "hello" messages sent so far: ${oddSent}`,
    );
  }
  return oddSent;
}

// ---- the demo ----------------------------------------------------------------------------------

export function* main() {
  console.log(`Each round, ${CLIENTS} clients send ${PER_CLIENT} ["msg", x] and ${PER_CLIENT} ["hello", n] each.\n`);

  console.log('Step 1: the server only matches ["msg", x] (no catch-all).');
  const strict = spawn(strictServer);
  const sent1 = yield* runRounds(strict);
  const stuck = yield* call<number>(strict, "drain", Infinity);
  console.log(`  drain: the server's mailbox held ${stuck} messages it never handled (${sent1} "hello" messages were sent).`);
  console.log("  They piled up round after round, and every receive had to walk past them: that is why it got slower.\n");

  console.log("Step 2: the same server with a catch-all clause, on(_, m => console.log(\"Unknown message\", m)).");
  const tolerant = spawn(tolerantServer);
  yield* runRounds(tolerant);
  const left = yield* call<number>(tolerant, "drain", Infinity);
  console.log(`  drain: the server's mailbox held ${left} messages: the catch-all took every unknown message as it came.`);
}

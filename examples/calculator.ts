// Calculator: a server process that keeps a number as its state.
//
// The state lives only in the server's loop: each message computes a new value from the old one,
// and the loop goes on with the new value. add/sub/mul/div are fire-and-forget sends; value()
// sends ["value", self()] and waits for ["response", value]. The loop is the refactored one from
// the chapter: it receives a message and hands it to processMessage(state, msg), which returns
// the new state. A catch-all clause answers anything else with "invalid request".
//
// Run:   npx beamline run examples/calculator.ts
//   or:  node dist/runtime/cli.js run examples/calculator.ts
//
// What to watch: each step prints what the client asked and what value() reads back; the
// unknown message is reported by the server, and its state stays unchanged.

import { spawn, send, receive, on, self, _, Pid } from "beamline";

// ---- the server ----------------------------------------------------------------------------

export function start(): Pid {
  return spawn(loop, 0);
}

/** The server loop: take a message, compute the next state, repeat. */
function* loop(state: number) {
  for (;;) {
    const msg = yield* receive(
      on(["add", Number]),
      on(["sub", Number]),
      on(["mul", Number]),
      on(["div", Number]),
      on(["value", Pid]),
      // The catch-all: anything else is wrapped, so it is taken out of the mailbox too.
      on(_, (other) => ["invalid", other] as const),
    );
    state = processMessage(state, msg);
  }
}

/** The messages the loop passes on; TypeScript checks that the patterns above produce only these. */
type Message =
  | ["add" | "sub" | "mul" | "div", number]
  | ["value", Pid]
  | readonly ["invalid", unknown];

/** One case per message, like the chapter's process_message/2 clauses; returns the new state. */
function processMessage(state: number, msg: Message): number {
  switch (msg[0]) {
    case "add":
      return state + msg[1];
    case "sub":
      return state - msg[1];
    case "mul":
      return state * msg[1];
    case "div":
      return state / msg[1];
    case "value":
      send(msg[1], ["response", state]);
      return state;
    case "invalid":
      console.log(`    server: invalid request ${JSON.stringify(msg[1])}; the state stays ${state}`);
      return state;
  }
}

// ---- the client interface --------------------------------------------------------------------

export const add = (server: Pid, x: number) => send(server, ["add", x]);
export const sub = (server: Pid, x: number) => send(server, ["sub", x]);
export const mul = (server: Pid, x: number) => send(server, ["mul", x]);
export const div = (server: Pid, x: number) => send(server, ["div", x]);

/** Asks for the current value and waits for the answer. */
export function* value(server: Pid) {
  send(server, ["value", self()]);
  return yield* receive(on(["response", Number], ([, v]) => v));
}

// ---- the demo ----------------------------------------------------------------------------------

export function* main() {
  const calc = start();
  console.log(`Started a calculator server ${calc}. Its state, a number, starts at 0.`);
  console.log("add/sub/mul/div only send a message; value() sends one and waits for the reply.\n");

  const show = function* (step: string) {
    console.log(`  ${step.padEnd(24)} value() -> ${yield* value(calc)}`);
  };

  yield* show("(nothing yet)");
  add(calc, 10);
  yield* show("add 10");
  sub(calc, 3);
  yield* show("sub 3");
  mul(calc, 6);
  yield* show("mul 6");
  div(calc, 4);
  yield* show("div 4");

  // Messages are handled in the order they were sent, so value() sees all three updates.
  add(calc, 100);
  sub(calc, 0.5);
  mul(calc, 2);
  yield* show("add 100, sub 0.5, mul 2");

  console.log("\nNow a message the calculator does not understand:");
  send(calc, ["pow", 2]);
  yield* show(`["pow", 2]`);

  console.log("\nThe value lived only inside the server process; main only ever saw copies in replies.");
}

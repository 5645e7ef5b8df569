// The chapter's calculator, always running: a crash is isolated, detected and repaired.
//
// The calculator is the one from examples/calculator.ts, with one change: dividing by zero throws
// (JavaScript would give Infinity), so the process crashes, as an Elixir process would with an
// ArithmeticError. The demo then shows what detects a crash and what repairs it:
//
//   1. A monitor: main watches a calculator and gets a ["DOWN", ref, "process", pid, reason]
//      message with the crash's reason, which names the line that threw.
//   2. A link: main traps exits and links to a calculator; the crash reaches main as an
//      ["EXIT", pid, reason] message instead of killing it.
//   3. A supervisor: a one_for_one supervisor starts the calculator under the name "calculator"
//      and restarts it whenever it ends. The client interface uses `call`, which watches the
//      callee: a crash while a call waits throws CallExitError at once, and the client retries.
//      Let it crash: the restarted calculator starts again from 0; the client sees a service that
//      keeps answering.
//   4. Killed from outside (exit(pid, "kill"), as the visualizer's Kill button does): restarted too.
//   5. Too many crashes in too short a time: a supervisor that allows 2 restarts in 5 s gives up at
//      the third, stops, and its exit reason "shutdown" travels up its link to main.
//
// Run:   npx beamline run examples/supervised_calculator.ts
//   or:  node dist/runtime/cli.js run examples/supervised_calculator.ts
// Watch: npx beamline run examples/supervised_calculator.ts --telemetry --keep-alive
//   then open the printed URL, find "calculator" in the Supervision view, kill it from the
//   inspector and watch it come back; the client below keeps asking for the value every second
//   and says when it had to retry.

import {
  call,
  CallExitError,
  exit,
  formatReason,
  From,
  isCrashReason,
  monitor,
  on,
  Pid,
  processFlag,
  receive,
  register,
  reply,
  send,
  sleep,
  spawn,
  spawnLink,
  spawnMonitor,
  self,
  startSupervisor,
  whereis,
  whichChildren,
  _,
} from "beamline";

// ---- the server --------------------------------------------------------------------------------

/** The server loop: take a message, compute the next state, repeat (examples/calculator.ts). */
function* loop(state: number) {
  for (;;) {
    const msg = yield* receive(
      on(["add", Number]),
      on(["sub", Number]),
      on(["mul", Number]),
      on(["div", Number]),
      on(["$call", From, "value"], ([, from]) => ["value", from] as const),
      on(_, (other) => ["invalid", other] as const),
    );
    state = processMessage(state, msg);
  }
}

type Message = ["add" | "sub" | "mul" | "div", number] | readonly ["value", From] | readonly ["invalid", unknown];

function processMessage(state: number, msg: Message): number {
  switch (msg[0]) {
    case "add":
      return state + msg[1];
    case "sub":
      return state - msg[1];
    case "mul":
      return state * msg[1];
    case "div":
      // No defensive code: the process crashes, and whoever watches it decides what happens next.
      if (msg[1] === 0) throw new RangeError(`cannot divide ${state} by zero`);
      return state / msg[1];
    case "value":
      reply(msg[1], state);
      return state;
    case "invalid":
      console.log(`    calculator: invalid request ${JSON.stringify(msg[1])}; the state stays ${state}`);
      return state;
  }
}

/**
 * The supervisor's start function: runs in the supervisor, spawns the calculator linked to it and
 * registers its name before returning, so a client can use the name as soon as the start is over.
 * A restart calls it again; the old name was freed when the old process ended.
 */
export function startCalculator(): Pid {
  const pid = spawnLink(loop, 0);
  register("calculator", pid);
  return pid;
}

// ---- the client interface ------------------------------------------------------------------------

export const add = (x: number) => send("calculator", ["add", x]);
export const sub = (x: number) => send("calculator", ["sub", x]);
export const mul = (x: number) => send("calculator", ["mul", x]);
export const div = (x: number) => send("calculator", ["div", x]);

/**
 * The current value. The call watches the calculator: if it is gone, or dies before it answers,
 * the call throws CallExitError at once with its exit reason. The client then waits a moment for
 * the supervisor to restart it and asks again, up to 5 times.
 */
export function* value(): Generator<unknown, number, unknown> {
  for (let attempt = 1; ; attempt++) {
    try {
      return yield* call<number>("calculator", "value", 1000);
    } catch (error) {
      if (!(error instanceof CallExitError) || attempt === 5) throw error;
      console.log(`   client: the calculator went away (${summary(error.reason)}); asking again`);
      yield* sleep(10);
    }
  }
}

/** One line for an exit reason: a crash's error and message, or the reason itself. */
function summary(reason: unknown): string {
  return typeof reason === "string" ? JSON.stringify(reason) : formatReason(reason).split("\n")[0]!;
}

// ---- the demo ----------------------------------------------------------------------------------

export function* main() {
  console.log("1. A monitor: main watches a calculator that is not supervised.");
  const [watched, ref] = spawnMonitor(loop, 0);
  send(watched, ["add", 5]);
  send(watched, ["div", 0]);
  const [, , , pid, reason] = yield* receive(on(["DOWN", ref, "process", Pid, _]));
  console.log(`   DOWN from ${pid}: ${summary(reason)}`);
  if (isCrashReason(reason)) console.log(`   the crash happened at ${reason.at}; main went on.`);
  console.log("");

  console.log("2. A link: main traps exits, so a linked calculator's crash arrives as a message.");
  processFlag("trapExit", true);
  const linked = spawnLink(loop, 0);
  send(linked, ["add", 7]);
  send(linked, ["div", 0]);
  const [, from, exitReason] = yield* receive(on(["EXIT", linked, _]));
  console.log(`   EXIT from ${from}: ${summary(exitReason)}`);
  console.log("   without trapExit, main would have died with the same reason.\n");

  console.log("3. A supervisor: one_for_one, restarting the calculator whenever it ends.");
  spawn(application, self());
  const sup = yield* receive(on(["started", Pid], ([, pid]) => pid));
  // A call to the supervisor is answered once it has started its children.
  const [first] = yield* whichChildren(sup);
  console.log(`   supervisor ${sup}, calculator ${first!.pid}`);
  add(10);
  mul(6);
  console.log(`   add 10, mul 6    value() -> ${yield* value()}`);
  div(0);
  console.log(`   div 0            value() -> ${yield* value()}`);
  console.log(`   the calculator is now ${whereis("calculator")}, restarted from 0: its state ended with it.\n`);

  console.log("4. Killed from outside, as the visualizer's Kill button does:");
  const victim = whereis("calculator")!;
  exit(victim, "kill");
  console.log(`   exit(${victim}, "kill")`);
  console.log(`   value() -> ${yield* value()}, answered by ${whereis("calculator")}\n`);

  console.log("5. A supervisor gives up: it allows 2 restarts in 5 s, and its child crashes 3 times.");
  const strict = startSupervisor({ name: "strict_sup", intensity: 2, period: 5000, children: [{ id: "fragile", start: [loop, 0] }] });
  for (let crash = 1; crash <= 3; crash++) {
    const [child] = yield* whichChildren(strict);
    const down = monitor(child!.pid!);
    send(child!.pid!, ["div", 0]);
    // Once the DOWN is here, the supervisor has the child's EXIT too, so the next whichChildren
    // call is answered after the restart.
    yield* receive(on(["DOWN", down, "process", _, _]));
    console.log(`   crash ${crash} of ${child!.pid}`);
  }
  const [, , why] = yield* receive(on(["EXIT", strict, _]));
  console.log(`   EXIT from strict_sup ${strict}: ${JSON.stringify(why)}; it stopped its child and itself.`);
  console.log(`   calculator_sup is not affected: value() -> ${yield* value()}\n`);

  // A client that keeps using the service: with --keep-alive it goes on after main has returned,
  // so the calculator can be killed from the visualizer and seen to come back.
  spawn(client);
  console.log("main is done; with --keep-alive the supervisor, the calculator and a client keep running.");
}

/**
 * Owns the supervision tree, as OTP's application master does. A supervisor stops when its parent
 * ends, even normally, so with --keep-alive the tree needs a parent that outlives main.
 */
function* application(caller: Pid) {
  const sup = startSupervisor({
    name: "calculator_sup",
    strategy: "one_for_one",
    intensity: 3,
    period: 5000,
    children: [{ id: "calculator", start: [startCalculator] }],
  });
  send(caller, ["started", sup]);
  yield* receive(on("stop"));
}

/** Asks for the value every second and says when another calculator process answered. */
function* client() {
  let last = whereis("calculator");
  for (;;) {
    yield* sleep(1000);
    const v = yield* value();
    const now = whereis("calculator");
    if (now !== last) console.log(`client: the calculator is now ${now}, and answers ${v}`);
    last = now;
  }
}

// A fast-check property (issue 14): random crash injections under a supervisor, for each strategy
// and restart type, never leave a child unrestarted within the intensity and never restart beyond
// it. A model says after each injection which children run, in which order they restart, and
// whether the supervisor gives up; the run must agree exactly, under a seeded interleaving.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { _, after, exit, isAlive, monitor, on, Pid, processFlag, receive, self, send } from "../runtime/api.js";
import type { Process } from "../runtime/core/process.js";
import { startSupervisor, supervisorSnapshot, whichChildren, type RestartType, type Strategy } from "../runtime/behaviours/supervisor.js";
import { pinOneScheduler, runProcess } from "./harness.js";

pinOneScheduler(
  "the model counts restarts within the period on the seeded run's virtual time, which only one scheduler has; on real time a loaded machine could spread injections made 0 ms apart over more than the period",
);

type How = "kill" | "crash" | "normal" | "shutdown";

/** A child that reports each start; it ends as the test tells it. */
function* child(id: string, report: Pid): Generator<unknown, void, unknown> {
  send(report, ["started", id, self()]);
  const how = (yield* receive()) as How;
  if (how === "crash") throw new Error(`${id} crashed`);
  if (how === "shutdown") exit("shutdown");
  // "normal": return.
}

/** The supervisors' period; injections come either together (0 ms apart) or well past it (150 ms). */
const PERIOD = 100;

interface Model {
  children: ModelChild[];
  restarts: number;
  /** When the restarts within the period happened. */
  times: number[];
}

interface ModelChild {
  id: string;
  restart: RestartType;
  running: boolean;
}

/** What the model expects of one injection: the ids that start (in order), or that the supervisor gives up. */
function inject(model: Model, strategy: Strategy, intensity: number, target: ModelChild, how: How, now: number): string[] | "gave-up" {
  const reason = how === "kill" ? "killed" : how;
  target.running = false;
  const normalish = reason === "normal" || reason === "shutdown";
  if (target.restart === "temporary") {
    model.children.splice(model.children.indexOf(target), 1);
    return [];
  }
  if (target.restart === "transient" && normalish) return [];
  model.restarts++;
  // OTP's window: a restart counts while now - then <= period.
  model.times = [...model.times.filter((t) => now - t <= PERIOD), now];
  if (model.times.length > intensity) return "gave-up";
  const at = model.children.indexOf(target);
  const group = strategy === "one_for_one" ? [target] : strategy === "one_for_all" ? model.children.slice() : model.children.slice(at);
  for (const c of group) if (c !== target && c.restart === "temporary") model.children.splice(model.children.indexOf(c), 1);
  const starts: string[] = [];
  for (const c of group) {
    if (c.restart === "temporary" && c !== target) continue;
    c.running = true;
    starts.push(c.id);
  }
  return starts;
}

const scenario = fc.record({
  strategy: fc.constantFrom<Strategy>("one_for_one", "one_for_all", "rest_for_one"),
  intensity: fc.integer({ min: 0, max: 4 }),
  restarts: fc.array(fc.constantFrom<RestartType>("permanent", "transient", "temporary"), { minLength: 1, maxLength: 4 }),
  injections: fc.array(
    fc.record({ pick: fc.nat(), how: fc.constantFrom<How>("kill", "crash", "normal", "shutdown"), wait: fc.constantFrom(0, 0, 150) }),
    { minLength: 1, maxLength: 8 },
  ),
  seed: fc.integer(),
});

test("issue 14: random crash injections under a supervisor never leave a child unrestarted within the intensity and never restart beyond it, for each strategy, over time", async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async ({ strategy, intensity, restarts, injections, seed }) => {
      const { value } = await runProcess(
        function* () {
          processFlag("trapExit", true);
          const me = self();
          const model: Model = { children: restarts.map((restart, i): ModelChild => ({ id: `c${i}`, restart, running: true })), restarts: 0, times: [] };
          let now = 0;
          const sup = startSupervisor({
            strategy,
            intensity,
            period: PERIOD,
            children: model.children.map((c) => ({ id: c.id, restart: c.restart, shutdown: "brutal_kill" as const, start: [child, c.id, me] as const })),
          });
          const pids = new Map<string, Pid>();
          for (const c of model.children) pids.set(c.id, (yield* receive(on(["started", c.id, Pid])))[2]);
          for (const { pick, how, wait } of injections) {
            // Virtual time: the wait is exact, and the work between injections costs microseconds.
            if (wait > 0) yield* receive(after(wait));
            now += wait;
            const running = model.children.filter((c) => c.running);
            if (running.length === 0) break;
            const target = running[pick % running.length]!;
            const pid = pids.get(target.id)!;
            const ref = monitor(pid);
            if (how === "kill") exit(pid, "kill");
            else send(pid, how);
            yield* receive(on(["DOWN", ref, "process", _, _]));
            const expected = inject(model, strategy, intensity, target, how, now);
            if (expected === "gave-up") {
              const down = yield* receive(on(["EXIT", sup, _]));
              assert.equal(down[2], "shutdown");
              for (const p of pids.values()) assert.equal(isAlive(p), false, "a child outlived a supervisor that gave up");
              return "gave-up";
            }
            const starts: string[] = [];
            for (const id of expected) {
              // Virtual time: a missing restart fails at once instead of hanging the test.
              const m = yield* receive(on(["started", String, Pid]), after(60_000, () => assert.fail(`${id} was never restarted`)));
              starts.push(m[1]);
              pids.set(m[1], m[2]);
            }
            assert.deepEqual(starts, expected, "children restarted in start order, those the strategy names");
            const listed = yield* whichChildren(sup);
            const extra = yield* receive(on(["started", String, Pid]), after(0, () => undefined));
            assert.equal(extra, undefined, "a child restarted that the model did not restart");
            assert.deepEqual(
              listed.map((c) => [c.id, c.pid !== undefined]),
              model.children.map((c) => [c.id, c.running]),
            );
            for (const c of listed) if (c.pid !== undefined) assert.equal(c.pid, pids.get(c.id));
            assert.equal(supervisorSnapshot(sup as Process)!.restarts, model.restarts);
          }
          exit(sup, "shutdown");
          yield* receive(on(["EXIT", sup, _]));
          return "survived";
        },
        { seed },
      );
      assert.ok(value === "gave-up" || value === "survived");
    }),
    { numRuns: 200 },
  );
});

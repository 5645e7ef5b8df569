// Issue 15: the properties of message passing hold across schedulers. fast-check picks how many
// schedulers there are, where each sender and the receiver run (on purpose on different
// schedulers), how many messages each sends, and in which order the receiver takes the senders'
// streams with selective receive; a real program run through the CLI checks that nothing is lost,
// nothing arrives twice, and each sender's messages arrive in the order it sent them.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { WAIT_DEADLINE_MS } from "./telemetryClient.js";

const cli = path.resolve("dist/runtime/cli.js");
const dir = mkdtempSync(path.join(tmpdir(), "beamline-scheduler-properties-"));
const program = path.join(dir, "streams.ts");

// The plan comes in an environment variable, which every scheduler thread of the run can read.
writeFileSync(
  program,
  `import { on, receive, self, send, spawnOn, Pid, _ } from "beamline";

interface Plan { receiver: number; senders: { on: number; count: number }[]; takeOrder: number[]; selective: boolean }

function* sender(to: Pid, id: number, count: number) {
  for (let i = 0; i < count; i++) send(to, ["m", id, i]);
  send(to, ["end", id, count]);
}

function* receiver(parent: Pid, plan: Plan) {
  const me = self();
  plan.senders.forEach((s, id) => spawnOn(s.on, sender, me, id, s.count));
  const problems: string[] = [];
  const check = (id: number, got: number[], count: number) => {
    if (got.length !== count) problems.push(id + ": got " + got.length + " of " + count);
    for (let i = 0; i < got.length; i++) if (got[i] !== i) { problems.push(id + ": message " + i + " was " + got[i]); break; }
  };
  if (plan.selective) {
    // One sender's whole stream at a time, in the plan's order: the others' wait in the mailbox.
    for (const id of plan.takeOrder) {
      const got: number[] = [];
      for (;;) {
        const msg = (yield* receive(on(["m", id, _]), on(["end", id, _]))) as [string, number, number];
        if (msg[0] === "end") { check(id, got, msg[2]); break; }
        got.push(msg[2]);
      }
    }
  } else {
    const got = plan.senders.map(() => [] as number[]);
    let ended = 0;
    while (ended < plan.senders.length) {
      const [kind, id, n] = (yield* receive()) as [string, number, number];
      if (kind === "end") { ended++; check(id, got[id]!, n); } else got[id]!.push(n);
    }
  }
  send(parent, problems);
}

export function* main() {
  const plan = JSON.parse(process.env.STREAMS_PLAN!) as Plan;
  spawnOn(plan.receiver, receiver, self(), plan);
  const problems = (yield* receive()) as string[];
  console.log(problems.length === 0 ? "ok" : problems.join("; "));
}
`,
);

const plans = fc.integer({ min: 2, max: 4 }).chain((schedulers) =>
  fc
    .record({
      receiver: fc.integer({ min: 1, max: schedulers }),
      senders: fc.array(fc.record({ on: fc.integer({ min: 1, max: schedulers }), count: fc.integer({ min: 0, max: 3000 }) }), { minLength: 1, maxLength: 6 }),
      selective: fc.boolean(),
      seed: fc.integer(),
    })
    .map(({ receiver, senders, selective, seed }) => {
      // At least one sender runs on another scheduler than the receiver, so every plan crosses.
      if (senders.every((s) => s.on === receiver)) senders[0]!.on = (receiver % schedulers) + 1;
      const takeOrder = senders.map((_, id) => id).sort((a, b) => ((a * 7919 + seed) % 13) - ((b * 7919 + seed) % 13) || a - b);
      return { schedulers, plan: { receiver, senders, takeOrder, selective } };
    }),
);

test("issue 15: across schedulers no message is lost or duplicated and each sender's order holds, with selective receive (fast-check)", () => {
  fc.assert(
    fc.property(plans, ({ schedulers, plan }) => {
      const result = spawnSync(process.execPath, [cli, "run", "--schedulers", String(schedulers), program], {
        encoding: "utf8",
        timeout: WAIT_DEADLINE_MS,
        env: { ...process.env, STREAMS_PLAN: JSON.stringify(plan) },
      });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, "ok\n", `plan ${JSON.stringify(plan)} on ${schedulers} schedulers`);
    }),
    { numRuns: 12 },
  );
});

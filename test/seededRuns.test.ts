// Repeatable runs: with a seed, time is virtual, so a program whose processes race `after`
// timeouts against messages prints the same in every run of that seed (docs/api.md, "Repeatable runs").

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { after, on, Pid, receive, self, send, sleep, spawn } from "../runtime/api.js";
import { seededRandom } from "../runtime/core/random.js";
import { pinOneScheduler, runProcess } from "./harness.js";

pinOneScheduler("a seed makes a run repeatable on one scheduler only (docs/api.md, \"Repeatable runs\")");

const cli = path.resolve("dist/runtime/cli.js");
const dir = mkdtempSync(path.join(tmpdir(), "beamline-seeded-test-"));

function beamline(name: string, source: string, ...args: string[]) {
  const file = path.join(dir, name);
  writeFileSync(file, source);
  const result = spawnSync(process.execPath, [cli, "run", file, ...args], { encoding: "utf8", timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** 40 processes each wait 20 times for a tick or a 1-3 ms timeout; 8 senders send ticks after random work and sleeps. */
const race = `import { after, on, receive, self, send, sleep, spawn, Pid } from "beamline";
function* racer(id: number, parent: Pid) {
  for (let round = 0; round < 20; round++) {
    const got = yield* receive(on(["tick", Number], () => "m"), after(1 + (id % 3), () => "t"));
    send(parent, [id, got]);
  }
}
function* sender(racers: Pid[], sends: number) {
  for (let i = 0; i < sends; i++) {
    let work = 0;
    const spin = Math.floor(Math.random() * 3000);
    for (let j = 0; j < spin; j++) work += j;
    send(racers[Math.floor(Math.random() * racers.length)]!, ["tick", work]);
    if (Math.random() < 0.2) yield* sleep(Math.random() * 2);
  }
}
export function* main() {
  const racers: Pid[] = [];
  for (let id = 0; id < 40; id++) racers.push(spawn(racer, id, self()));
  for (let s = 0; s < 8; s++) spawn(sender, racers, 150);
  const trace: string[] = [];
  let timeouts = 0;
  for (let i = 0; i < 40 * 20; i++) {
    const [id, got] = (yield* receive()) as [number, string];
    if (got === "t") timeouts++;
    trace.push(id + got);
  }
  console.log("timeouts " + timeouts + " messages " + (trace.length - timeouts));
  console.log(trace.join(" "));
}
`;

test("issue 13 item 8: with --seed, processes racing after timeouts against messages print the same trace in every run", () => {
  const runs = [1, 2, 3].map(() => beamline("race.ts", race, "--seed", "7"));
  for (const run of runs) assert.equal(run.code, 0, run.stderr);
  const [first] = runs;
  const [, timeouts, messages] = /^timeouts (\d+) messages (\d+)\n/.exec(first!.stdout)!.map(Number);
  assert.ok(timeouts! > 0 && messages! > 0, `not a race: ${timeouts} timeouts, ${messages} messages`);
  const summaries = runs.map((run) => run.stdout.split("\n")[0]);
  // Compared whole, reported by their first lines: the traces are 800 events long.
  assert.ok(
    runs.every((run) => run.stdout === first!.stdout),
    `three runs of seed 7 differ: ${summaries.join(" / ")}${new Set(summaries).size === 1 ? " (same counts, another order)" : ""}`,
  );
});

test("issue 13 item 8: under --seed, performance.now, Date.now and new Date read the virtual clock, which jumps over idle time", () => {
  const { code, stdout, stderr } = beamline(
    "clock.ts",
    `import { sleep } from "beamline";
export function* main() {
  const started = performance.now();
  console.log(performance.now() >= 0, Date.now(), new Date().toISOString());
  yield* sleep(3_600_000);
  console.log(Math.round(performance.now() - started), new Date().toISOString(), typeof Date(), new Date(0).toISOString());
}
`,
    "--seed",
    "1",
  );
  assert.equal(code, 0, stderr);
  // An hour of sleep passes at once: nothing else could run, so the clock jumped to the deadline.
  assert.equal(
    stdout,
    "true 946684800000 2000-01-01T00:00:00.000Z\n3600000 2000-01-01T01:00:00.000Z string 1970-01-01T00:00:00.000Z\n",
  );
});

test("issue 13 item 8: under --seed a busy process still lets timers fire: virtual time advances with the reductions spent", () => {
  const { code, stdout, stderr } = beamline(
    "busy.ts",
    `import { sleep, spawn } from "beamline";
function* busy() { let i = 0; while (true) i++; }
export function* main() {
  spawn(busy);
  const started = performance.now();
  for (let tick = 1; tick <= 3; tick++) {
    yield* sleep(100);
    console.log("tick", tick, Math.round(performance.now() - started));
  }
}
`,
    "--seed",
    "2",
  );
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "tick 1 100\ntick 2 200\ntick 3 300\n");
});

test("without --seed, time is real", () => {
  const before = Date.now();
  const { code, stdout, stderr } = beamline("real.ts", `export function* main() { console.log(Date.now()); }\n`);
  assert.equal(code, 0, stderr);
  assert.ok(Number(stdout) >= before, `Date.now() was ${stdout.trim()}, before the run started (${before})`);
});

test("issue 13 item 8: a seeded harness run with timers is repeatable too", async () => {
  const trace = async (): Promise<string> => {
    const { value } = await runProcess(
      function* () {
        const me = self();
        const random = seededRandom(99);
        const racers: Pid[] = [];
        for (let id = 0; id < 20; id++) {
          racers.push(
            spawn(
              function* (parent: Pid, n: number) {
                for (let round = 0; round < 10; round++) send(parent, [n, yield* receive(on("tick", () => "m"), after(1 + (n % 3), () => "t"))]);
                send(parent, "done");
              },
              me,
              id,
            ),
          );
        }
        const plan = Array.from({ length: 300 }, () => [Math.floor(random() * racers.length), random() * 0.5] as const);
        spawn(
          function* (targets: Pid[], steps: (readonly [number, number])[]) {
            for (const [to, pause] of steps) {
              send(targets[to]!, "tick");
              yield* sleep(pause);
            }
          },
          racers,
          plan,
        );
        const events: string[] = [];
        for (let done = 0; done < racers.length; ) {
          const m = yield* receive();
          if (m === "done") done++;
          else events.push((m as [number, string]).join(""));
        }
        // The sender may still be sleeping: wait it out, so that the next run starts alone.
        yield* sleep(1000);
        return events.join(" ");
      },
      { seed: 5 },
    );
    return value;
  };
  const first = await trace();
  assert.match(first, /\d+t/);
  assert.match(first, /\d+m/);
  assert.equal(await trace(), first);
  assert.equal(await trace(), first);
});

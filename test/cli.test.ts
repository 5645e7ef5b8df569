// The whole path a user takes: `beamline run prog.ts` through the loader, a scheduler thread and
// the CLI's exit codes. Programs are written to a temporary folder so that broken ones stay out
// of the type-check.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { after, test } from "node:test";
import WebSocket from "ws";
import { findTelemetryLine, parseTelemetryLine, type TelemetryEndpoint } from "../protocol/telemetryLine.js";
import { beamline, cli, programFolder } from "./cliRun.js";

const { dir, program } = programFolder("beamline-cli-test-");

test("a busy loop inside a process does not starve a ticker on the same scheduler", () => {
  const file = program(
    "preempt.ts",
    `import { spawn, sleep } from "beamline";
function* busy() { let i = 0; while (true) { i++; } }
export function* main() {
  spawn(busy);
  for (let t = 1; t <= 3; t++) { yield* sleep(20); console.log("tick", t); }
}
`,
  );
  const { code, stdout } = beamline("run", file, "--schedulers", "1");
  assert.equal(code, 0);
  assert.equal(stdout, "tick 1\ntick 2\ntick 3\n");
});

test("a generator used as a plain iterator inside a process yields only its own values", () => {
  const file = program(
    "iterator.ts",
    `function* range(n: number) { for (let i = 0; i < n; i++) yield i; }
export function* main() {
  let sum = 0;
  for (const x of range(100000)) sum += x;
  console.log(sum);
}
`,
  );
  const { code, stdout } = beamline("run", file, "--reductions", "10");
  assert.equal(code, 0);
  assert.equal(stdout, "4999950000\n");
});

const racers = `import { spawn, send, receive, self, Pid } from "beamline";
function* racer(parent: Pid, name: string) {
  for (let i = 0; i < 5; i++) {
    let spin = 0;
    for (let j = 0; j < 50 + Math.floor(Math.random() * 50); j++) spin++;
    console.log(name, i);
  }
  send(parent, "done");
}
export function* main() {
  for (const name of ["a", "b", "c"]) spawn(racer, self(), name);
  for (let i = 0; i < 3; i++) yield* receive();
}
`;

test("--seed makes a one-scheduler run repeatable, and different seeds explore other interleavings", () => {
  const file = program("seeded.ts", racers);
  const runs = (seed: number) => beamline("run", file, "--schedulers", "1", "--seed", String(seed), "--reductions", "40").stdout;
  const first = runs(1);
  assert.equal(first.split("\n").filter(Boolean).length, 15);
  assert.equal(runs(1), first);
  const others = new Set([2, 3, 4, 5].map(runs));
  assert.ok([...others].some((out) => out !== first), "four other seeds all gave the same interleaving");
});

test("a crashing process prints its pid, reason and the user's line, and the others go on", () => {
  const file = program(
    "crash.ts",
    `import { spawn, sleep } from "beamline";
function* faulty() {
  yield* sleep(1);
  throw new Error("division by zero");
}
export function* main() {
  spawn(faulty);
  yield* sleep(20);
  console.log("main still running");
}
`,
  );
  const { code, stdout, stderr } = beamline("run", file);
  assert.equal(code, 0);
  assert.equal(stdout, "main still running\n");
  assert.match(stderr, /^<0\.\d+\.0> crashed: Error: division by zero\n\s+at faulty \(.*crash\.ts:4:9\)/);
});

test("main crashing ends the run with exit code 1 and a source-mapped stack", () => {
  const file = program(
    "main_crash.ts",
    `import { send } from "beamline";
type Msg = { handler: () => void };
export function* main() {
  const msg: Msg = { handler: () => {} };
  send("nobody", msg);
}
`,
  );
  const { code, stderr } = beamline("run", file);
  assert.equal(code, 1);
  assert.match(stderr, /crashed: Error: send: no process is registered as "nobody"\n\s+at main \(.*main_crash\.ts:5:3\)/);
});

test("an unsendable message names the path inside it and the sending line", () => {
  const file = program(
    "unsendable.ts",
    `import { send, self } from "beamline";
export function* main() {
  send(self(), ["job", 1, { handler: () => 1 }]);
}
`,
  );
  const { code, stderr } = beamline("run", file);
  assert.equal(code, 1);
  assert.match(stderr, /UnsendableError: msg\[2\]\.handler is a function/);
  assert.match(stderr, /at main \(.*unsendable\.ts:3:3\)/);
});

test("a syntax error prints file:line:col and the message", () => {
  const file = program("syntax.ts", `export function* main() {\n  let x: number = ;\n}\n`);
  const { code, stdout, stderr } = beamline("run", file);
  assert.equal(code, 1);
  assert.equal(stdout, "");
  assert.match(stderr, /syntax\.ts:2:19: error: Unexpected ";"\n\s+let x: number = ;\n\s+\^/);
});

test("a program without main, or one that throws while loading, is a clear error", () => {
  const noMain = beamline("run", program("no_main.ts", `export function* start() {}\n`));
  assert.equal(noMain.code, 1);
  assert.match(noMain.stderr, /no_main\.ts must export a process function: export function\* main\(\)/);
  const throws = beamline("run", program("throws.ts", `throw new Error("bad config");\nexport function* main() {}\n`));
  assert.equal(throws.code, 1);
  assert.match(throws.stderr, /throws\.ts failed while loading: Error: bad config\n\s+at .*throws\.ts:1:7/);
});

test("a plain function that overruns its slice is reported with its length and line", () => {
  const file = program(
    "hog.ts",
    `function spin(ms: number) {
  const end = Date.now() + ms;
  while (Date.now() < end) {}
}
export function* main() { spin(250); }
`,
  );
  const { code, stderr } = beamline("run", file);
  assert.equal(code, 0);
  assert.match(stderr, /beamline: <0\.\d+\.0> ran \d+ ms past its reduction budget in a plain function at .*hog\.ts:3/);
});

test("bad options get usage errors", () => {
  for (const [args, message] of [
    [["run"], /which program\?/],
    [["run", "x.ts", "--reductions", "many"], /--reductions needs a whole number, got many/],
    [["run", "x.ts", "--bogus"], /unknown option --bogus/],
    [["run", "x.ts", "--wait-for-viewer"], /--wait-for-viewer needs --telemetry/],
    [["fly"], /unknown command "fly"/],
  ] as const) {
    const { code, stderr } = beamline(...args);
    assert.equal(code, 2);
    assert.match(stderr, message);
  }
});

test("issue 13 item 15: every usage error is one clear line and exit code 2, never a stack trace", async () => {
  const file = program("usage.ts", `export function* main() { console.log("ran"); }\n`);
  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
  const busyPort = (busy.address() as { port: number }).port;
  try {
    for (const [args, message] of [
      [["run", file, "--telemetry", String(busyPort)], new RegExp(`^beamline: --telemetry ${busyPort}: port ${busyPort} on 127\\.0\\.0\\.1 is in use`)],
      [["run", file, "--telemetry", "99999"], /^beamline: --telemetry takes a port from 0 to 65535, got 99999/],
      [["run", file, "--telemetry", "abc"], /^beamline: --telemetry takes a port from 0 to 65535 \(or none, for a free port\), got abc/],
      [["run", "--telemetry", "abc", file], /^beamline: --telemetry takes a port from 0 to 65535 \(or none, for a free port\), got abc/],
      [["run", file, "--bogus"], /^beamline: unknown option --bogus/],
      [["fly"], /^beamline: unknown command "fly"/],
    ] as const) {
      const { code, stdout, stderr } = beamline(...args);
      assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
      assert.equal(stdout, "", args.join(" "));
      assert.equal(stderr.trimEnd().split("\n").length, 1, `${args.join(" ")} printed more than one line:\n${stderr}`);
      assert.match(stderr, message);
    }
  } finally {
    busy.close();
  }
  // A program path after --telemetry is still the program, with a free port.
  const ok = beamline("run", "--telemetry", file);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^BEAMLINE_TELEMETRY .*\nran\n$/);
});

test("issue 13 item 15: --version prints the package's version", () => {
  const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
  const { code, stdout, stderr } = beamline("--version");
  assert.equal(code, 0, stderr);
  assert.equal(stdout, `beamline ${version}\n`);
});

test("issue 13 item 4: the telemetry token comes from BEAMLINE_TELEMETRY_TOKEN, never the command line", async () => {
  const token = `secret-${process.pid}-${Date.now()}-token`;
  const file = program("token.ts", `export function* main() { console.log("program sees the token:", process.env.BEAMLINE_TELEMETRY_TOKEN !== undefined); }\n`);
  const child = spawn(process.execPath, [cli, "run", file, "--telemetry", "--keep-alive"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, BEAMLINE_TELEMETRY_TOKEN: token },
  });
  try {
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
    const endpoint = await new Promise<TelemetryEndpoint>((resolve, reject) => {
      child.on("exit", () => reject(new Error(`the run ended early: ${out}`)));
      child.stdout.on("data", () => {
        const found = out.split("\n").map(parseTelemetryLine).find((e) => e !== undefined);
        if (found !== undefined && out.includes("program sees the token")) resolve(found);
      });
    });
    assert.equal(endpoint.token, token);
    assert.ok(!readFileSync(`/proc/${child.pid}/cmdline`, "utf8").includes(token), "the token is in the command line");
    assert.match(out, /program sees the token: false/);
    assert.equal((await fetch(`http://127.0.0.1:${endpoint.port}/?token=${token}`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${endpoint.port}/?token=${token}x`)).status, 401);
  } finally {
    child.kill("SIGTERM");
  }
  const refused = beamline("run", file, "--telemetry", "--telemetry-token", "T".repeat(20));
  assert.equal(refused.code, 2);
  assert.equal(refused.stderr.trimEnd().split("\n").length, 1);
  assert.match(refused.stderr, /--telemetry-token is refused: .*set the environment variable BEAMLINE_TELEMETRY_TOKEN instead/);
  const short = spawnSync(process.execPath, [cli, "run", file, "--telemetry"], { encoding: "utf8", env: { ...process.env, BEAMLINE_TELEMETRY_TOKEN: "short" } });
  assert.equal(short.status, 2);
  assert.match(short.stderr, /BEAMLINE_TELEMETRY_TOKEN needs at least 16 characters/);
});

const backgroundRuns = new Set<import("node:child_process").ChildProcess>();
// A failed test leaves no run behind to hold the test process open.
after(() => {
  for (const child of backgroundRuns) child.kill("SIGKILL");
});

/** A run in the background, with its output so far and a way to wait for a line of it. */
function startRun(args: string[], options: { env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {}) {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), cli, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...options.env },
  });
  backgroundRuns.add(child);
  child.on("exit", () => backgroundRuns.delete(child));
  const output = { stdout: "", stderr: "" };
  child.stdout.setEncoding("utf8").on("data", (d: string) => (output.stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (output.stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const waitFor = (stream: "stdout" | "stderr", pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(output[stream])) resolve();
      };
      child[stream].on("data", check);
      check();
      void exited.then(() => reject(new Error(`the run ended before ${pattern} on ${stream}:\n${output.stdout}\n${output.stderr}`)));
    });
  return { child, output, exited, waitFor };
}

const runsUntilStopped = path.resolve("test/fixtures/runs_until_stopped.ts");

/** The compiled programs' folders in a temp folder of the test's own. */
const runFolders = (tmp: string) => readdirSync(tmp).filter((name) => name.startsWith("beamline-"));

for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
  test(`issue 13 item 3: ${signal} ends a run with exit code ${code} and removes its temp folder`, async () => {
    const tmp = mkdtempSync(path.join(dir, "tmp-"));
    const run = startRun(["run", runsUntilStopped], { env: { TMPDIR: tmp } });
    await run.waitFor("stdout", /running/);
    assert.deepEqual(runFolders(tmp).map((name) => name.split("-")[1]), [String(run.child.pid)]);
    run.child.kill(signal);
    assert.deepEqual(await run.exited, { code, signal: null });
    assert.deepEqual(runFolders(tmp), []);
  });
}

test("issue 13 item 3: a run killed with SIGKILL leaves its temp folder, and the next run removes it", async () => {
  const tmp = mkdtempSync(path.join(dir, "tmp-"));
  const killed = startRun(["run", runsUntilStopped], { env: { TMPDIR: tmp } });
  await killed.waitFor("stdout", /running/);
  killed.child.kill("SIGKILL");
  await killed.exited;
  assert.equal(runFolders(tmp).length, 1);
  const next = spawnSync(process.execPath, [cli, "run", program("quick.ts", `export function* main() {}\n`)], { encoding: "utf8", env: { ...process.env, TMPDIR: tmp } });
  assert.equal(next.status, 0, next.stderr);
  assert.deepEqual(runFolders(tmp), []);
});

test("issue 13 item 3: a crash of the main thread removes the temp folder", async () => {
  const tmp = mkdtempSync(path.join(dir, "tmp-"));
  const run = startRun(["run", runsUntilStopped], { env: { TMPDIR: tmp }, nodeArgs: ["--import", path.resolve("test/fixtures/crash_main_thread.mjs")] });
  const { code } = await run.exited;
  assert.match(run.output.stderr, /a simulated crash of the main thread/);
  assert.equal(code, 1);
  assert.deepEqual(runFolders(tmp), []);
});

test("issue 13 item 7: a client's kill of main is answered, and the run says who killed main and ends with exit code 137", async () => {
  const run = startRun(["run", runsUntilStopped, "--telemetry"]);
  await run.waitFor("stdout", /running <0\.\d+\.0>/);
  const endpoint = findTelemetryLine(run.output.stdout)!;
  const main = /running (<0\.\d+\.0>)/.exec(run.output.stdout)![1]!;
  const ws = new WebSocket(`ws://127.0.0.1:${endpoint.port}/ws?token=${endpoint.token}&channels=`);
  const response = new Promise<unknown>((resolve, reject) => {
    ws.on("message", (data, isBinary) => {
      const message = isBinary ? undefined : (JSON.parse(data.toString()) as { type: string; id?: number });
      if (message?.type === "response" && message.id === 1) resolve(message);
    });
    ws.on("close", () => reject(new Error("the connection closed without the kill's response")));
  });
  ws.on("open", () => ws.send(JSON.stringify({ id: 1, type: "kill", pid: main })));
  assert.deepEqual(await response, { type: "response", id: 1, ok: true, result: { killed: main } });
  assert.deepEqual(await run.exited, { code: 137, signal: null });
  assert.match(run.output.stderr, new RegExp(`beamline: main ${main} was killed by a telemetry client's kill request \\(reason: 'killed'\\); the run ends with exit code 137`));
});

test("issue 13 item 7: main killed by another process says so and ends the run with exit code 137", () => {
  const file = program(
    "killed_main.ts",
    `import { spawn, sleep, self, exit, Pid } from "beamline";
function* assassin(target: Pid) { yield* sleep(5); exit(target, "enough"); }
export function* main() { spawn(assassin, self()); yield* sleep(60_000); }
`,
  );
  const { code, stderr } = beamline("run", file);
  assert.equal(code, 137);
  assert.match(stderr, /^beamline: main <0\.\d+\.0> was killed by <0\.\d+\.0> \(reason: 'enough'\); the run ends with exit code 137\n$/);
});

test("issue 14: main ended by a linked process's crash says which process, and main's own exit(reason) says its reason", () => {
  const linked = program(
    "linked_main.ts",
    `import { spawnLink, sleep } from "beamline";
function* doomed() { yield* sleep(5); throw new Error("linked failure"); }
export function* main() { spawnLink(doomed); yield* sleep(60_000); }
`,
  );
  const first = beamline("run", linked);
  assert.equal(first.code, 137);
  assert.match(first.stderr, /^<0\.\d+\.0> crashed: Error: linked failure\n\s+at doomed \(.*linked_main\.ts:2:/);
  assert.match(first.stderr, /beamline: main <0\.\d+\.0> was killed by <0\.\d+\.0> \(reason: Error: linked failure\n/);
  const own = program("own_exit.ts", `import { exit } from "beamline";\nexport function* main() { exit(["shutdown", "done"]); }\n`);
  const second = beamline("run", own);
  assert.equal(second.code, 1);
  assert.match(second.stderr, /^beamline: main <0\.\d+\.0> exited with reason \[ 'shutdown', 'done' \]\n$/);
  const normal = program("normal_exit.ts", `import { exit } from "beamline";\nexport function* main() { exit("normal"); }\n`);
  assert.deepEqual([beamline("run", normal).code, beamline("run", normal).stderr], [0, ""]);
});

test("issue 13 item 7: process.exit(n) in a process is reported with its pid and line, and the run ends with exit code n", () => {
  const file = program(
    "exits.ts",
    `import { spawn, sleep } from "beamline";
function* quitter() {
  yield* sleep(5);
  process.exit(3);
}
export function* main() { spawn(quitter); yield* sleep(60_000); }
`,
  );
  const { code, stderr } = beamline("run", file);
  assert.equal(code, 3);
  assert.match(stderr, /^beamline: <0\.\d+\.0> called process\.exit\(3\) at .*exits\.ts:4:\d+; the run ends with exit code 3\n$/);
  const zero = beamline("run", program("exits_zero.ts", `export function* main() { console.log("bye"); process.exit(0); }\n`));
  assert.equal(zero.code, 0);
  assert.equal(zero.stdout, "bye\n");
  assert.match(zero.stderr, /called process\.exit\(0\) at .*exits_zero\.ts:1:\d+; the run ends with exit code 0/);
});

test("issue 13 item 9: a scheduler stuck in a plain function is reported again at growing intervals, with the process and line", async () => {
  const run = startRun(["run", "test/fixtures/stuck_forever.ts"]);
  await run.waitFor("stderr", /still stuck/);
  const reports = run.output.stderr.trimEnd().split("\n");
  assert.match(reports[0]!, /^beamline: scheduler 1 has been stuck for \d+ ms in <0\.\d+\.0> at test\/fixtures\/stuck_forever\.ts:6: a plain function cannot be preempted/);
  assert.match(reports[1]!, /^beamline: scheduler 1 is still stuck in <0\.\d+\.0> at test\/fixtures\/stuck_forever\.ts:6, for [2-9] s now$/);
  // A stuck scheduler does not keep the run from stopping.
  run.child.kill("SIGTERM");
  assert.deepEqual(await run.exited, { code: 143, signal: null });
});

test("issue 13 item 16: importing a name the runtime does not export says so at the user's file and line", () => {
  const file = program("no_export.ts", `import { spawn, spawnOpt } from "beamline";\nexport function* main() { spawnOpt(spawn); }\n`);
  const { code, stdout, stderr } = beamline("run", file);
  assert.equal(code, 1);
  assert.equal(stdout, "");
  assert.match(stderr, /no_export\.ts:1:17: error: beamline does not export spawnOpt\n\s+import \{ spawn, spawnOpt \} from "beamline";\n\s+\^/);
});

test("issue 13 item 16: a missing npm package is reported at the user's file and line, and an installed one loads", () => {
  const file = program("no_package.ts", `import { spawn } from "beamline";\nimport leftPad from "left-pad-that-is-not-installed";\nexport function* main() { console.log(leftPad, spawn); }\n`);
  const { code, stderr } = beamline("run", file);
  assert.equal(code, 1);
  assert.match(stderr, /no_package\.ts:2:21: error: cannot find package "left-pad-that-is-not-installed" .*npm install left-pad-that-is-not-installed/);
  assert.doesNotMatch(stderr, /beamline-\d+-/, "the error names the compiled temp file");
  // The compiled program runs from a temp folder; its packages still resolve from the program's folder.
  const installed = path.resolve("test/fixtures/imports_a_package.ts");
  const ok = beamline("run", installed);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, "ws loaded: function\n");
});

test("issue 13 item 18: examples/preemption.ts prints the budget the run has, not the default's", () => {
  const { code, stdout, stderr } = beamline("run", "examples/preemption.ts", "--schedulers", "1", "--reductions", "200000");
  assert.equal(code, 0, stderr);
  assert.match(stdout, /every 200,000 iterations \(one reduction each, at the budget --reductions gave\): about [\d,]+ times/);
  assert.doesNotMatch(stdout, /2000 iterations|default budget/);
});

test("issue 13 item 18: the README names every option of beamline run and says where beamline runs", () => {
  const readme = readFileSync("README.md", "utf8");
  const help = beamline("--help").stdout;
  const options = [...help.matchAll(/^\s+(--[\w-]+)/gm)].map((m) => m[1]!);
  assert.ok(options.length >= 8, help);
  for (const option of options) assert.match(readme, new RegExp(`[\\s\`]${option}(?![\\w-])`), `the README does not name ${option}`);
  assert.match(readme, /not published to npm: `npx beamline …` works inside this\s+clone/);
});

test("--keep-alive keeps the run going after main returns, until it is stopped", async () => {
  const file = program("keep.ts", `export function* main() { console.log("main done"); }\n`);
  const child = spawn(process.execPath, [cli, "run", file, "--keep-alive"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  await new Promise<void>((resolve) => child.stdout.on("data", () => out.includes("main done") && resolve()));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(child.exitCode, null, "the run ended although --keep-alive was given");
  child.kill("SIGTERM");
  const code = await new Promise((resolve) => child.on("exit", resolve));
  assert.equal(code, 0);
});

test("issue 15 (found on the way): a long timeout armed right after a slice that overran in a plain function does not fire early", () => {
  const file = program(
    "stale_clock.ts",
    `import { receive, self, send, sleep, spawn, Pid } from "beamline";
function spin(ms: number): number { const t = Date.now(); let n = 0; while (Date.now() - t < ms) n++; return n; }
function* sleeper(parent: Pid) { const t = performance.now(); yield* sleep(150); send(parent, performance.now() - t); }
export function* main() {
  spin(300);
  spawn(sleeper, self());
  const waited = (yield* receive()) as number;
  console.log(waited >= 150 ? "waited its 150 ms" : "woke after " + waited.toFixed(1) + " ms");
}
`,
  );
  const { code, stdout } = beamline("run", file, "--schedulers", "1");
  assert.equal(code, 0);
  assert.equal(stdout, "waited its 150 ms\n");
});

test("a report from another scheduler is not lost when main returns: a slice on scheduler 2 that overruns while main ends is still reported", () => {
  // The report used to be dropped when main's end was handled first: a slice still running on
  // another scheduler, as here, or a report from it that arrived after main-exited (each
  // scheduler thread has its own port), which is how examples/preemption.ts lost it under load.
  const file = program(
    "report_after_main.ts",
    `import { receive, self, send, spawnOn, Pid } from "beamline";
function spin(ms: number): void { const end = performance.now() + ms; while (performance.now() < end) {} }
function* answer(parent: Pid) { send(parent, "done"); }
function* spinner() { spin(300); }
export function* main() {
  spawnOn(2, answer, self());
  spawnOn(2, spinner);
  yield* receive();
  console.log("main got its answer");
}
`,
  );
  const { code, stdout, stderr } = beamline("run", file, "--schedulers", "2");
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "main got its answer\n");
  assert.match(stderr, /<0\.\d+\.0> ran \d+ ms past its reduction budget in a plain function at .*report_after_main\.ts:2/);
});

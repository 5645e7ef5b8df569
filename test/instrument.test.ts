// The loader's AST pass: which functions yield at loop heads and which only count.

import assert from "node:assert/strict";
import { test } from "node:test";
import { instrument } from "../runtime/loader/instrument.js";

const run = (source: string) => {
  const { code, processGenerators, sites } = instrument(source, (line, column) => ({ file: "prog.ts", line, column }), "beamline-api", 2000);
  return { code: code.toString(), processGenerators, sites };
};

test("loops in a spawned generator yield when the budget is spent", () => {
  const { code, processGenerators } = run(`function* busy() { while (true) { x++; } }\nspawn(busy);`);
  assert.deepEqual(processGenerators, ["busy"]);
  assert.match(code, /while \(true\) \{if \(--__bl\.r <= 0\) yield __bl\.P; x\+\+; \}/);
});

test("an inline generator passed to spawn, the exported main and a delegating generator are processes", () => {
  const { processGenerators } = run(
    [
      `spawn(function* worker() { for (;;) {} });`,
      `function* main() { for (;;) {} }`,
      `function* loop(s) { const m = yield* receive(); return yield* loop(s); }`,
      `export { main };`,
    ].join("\n"),
  );
  assert.deepEqual(processGenerators.sort(), ["loop", "main", "worker"]);
});

test("a generator used as a plain iterator only counts, so it never yields our PREEMPT value", () => {
  const { code, processGenerators } = run(`function* range(n) { for (let i = 0; i < n; i++) yield i; }`);
  assert.deepEqual(processGenerators, []);
  assert.doesNotMatch(code, /yield __bl\.P/);
  assert.match(code, /\{if \(--__bl\.r < -2000\) __bl\.over\("prog\.ts:1"\);yield i;\}/);
});

test("plain functions count at entry and at loop heads, naming the user's line", () => {
  const { code } = run(`function spin() {\n  while (busy()) {}\n}`);
  assert.match(code, /function spin\(\) \{if \(--__bl\.r < -2000\) __bl\.over\("prog\.ts:1"\);/);
  assert.match(code, /while \(busy\(\)\) \{if \(--__bl\.r < -2000\) __bl\.over\("prog\.ts:2"\);\}/);
});

test("a nested plain function inside a process only counts", () => {
  const { code } = run(`function* main() { items.forEach((x) => { for (const y of x) {} }); }\nexport { main };`);
  assert.doesNotMatch(code, /yield __bl\.P/);
});

test("the runtime's budget object is imported once, at the top", () => {
  const { code } = run(`const a = 1;`);
  assert.ok(code.startsWith(`import { __beamline as __bl_budget } from "beamline-api"; const __bl = __bl_budget;\n`));
});

test("spawn and wait calls record their site before the call, and process functions are sites", () => {
  const { code, sites } = run(`function* main() {\n  const p = spawn(worker);\n  const m = yield* receive();\n}\nexport { main };`);
  assert.match(code, /const p = \(__bl\.s = 2, spawn\(worker\)\);/);
  assert.match(code, /const m = yield\* \(__bl\.s = 3, receive\(\)\);/);
  assert.deepEqual(
    sites.map(({ id, kind, name, line }) => ({ id, kind, name, line })),
    [
      { id: 1, kind: "function", name: "main", line: 1 },
      { id: 2, kind: "spawn", name: "spawn", line: 2 },
      { id: 3, kind: "receive", name: "receive", line: 3 },
    ],
  );
});

test("issue 14: startSupervisor, startDynamicSupervisor, spawnLink and spawnMonitor calls are spawn sites, where the lenses count restarts and crashes", () => {
  const { code, sites } = run(
    [
      `function* main() {`,
      `  const sup = startSupervisor({ strategy: "one_for_one", children: [] });`,
      `  const pool = startDynamicSupervisor({ start: [worker] });`,
      `  const a = spawnLink(worker);`,
      `  const [b, ref] = spawnMonitor(worker);`,
      `}`,
      `export { main };`,
    ].join("\n"),
  );
  assert.match(code, /const sup = \(__bl\.s = 2, startSupervisor\(/);
  assert.match(code, /const pool = \(__bl\.s = 3, startDynamicSupervisor\(/);
  assert.deepEqual(
    sites.filter((s) => s.kind === "spawn").map(({ name, line }) => ({ name, line })),
    [
      { name: "startSupervisor", line: 2 },
      { name: "startDynamicSupervisor", line: 3 },
      { name: "spawnLink", line: 4 },
      { name: "spawnMonitor", line: 5 },
    ],
  );
});

test("issue 15: a generator passed only to spawnOn (its second argument) is a process, and the spawnOn call is a spawn site", () => {
  const { code, processGenerators, sites } = run(
    [
      `function* busy() { while (true) { x++; } }`,
      `function* main() {`,
      `  spawnOn(2, busy);`,
      `}`,
      `export { main };`,
    ].join("\n"),
  );
  assert.deepEqual(processGenerators.sort(), ["busy", "main"]);
  assert.match(code, /while \(true\) \{if \(--__bl\.r <= 0\) yield __bl\.P; x\+\+; \}/);
  assert.match(code, /\(__bl\.s = \d+, spawnOn\(2, busy\)\)/);
  assert.deepEqual(
    sites.filter((s) => s.kind === "spawn").map(({ name, line }) => ({ name, line })),
    [{ name: "spawnOn", line: 3 }],
  );
});

test("issue 14: a generator a child spec starts (start: [fn, ...args]) is a process, even when the spec is built apart from the supervisor", () => {
  const { code, processGenerators } = run(
    [
      `function* crunch(n) { for (;;) { n++; } }`,
      `function* pooled(n) { while (true) { n--; } }`,
      `const children = [{ id: "crunch", start: [crunch, 1] }];`,
      `function* main() { startSupervisor({ strategy: "one_for_all", children }); startDynamicSupervisor({ start: [pooled, 2] }); }`,
      `export { main };`,
    ].join("\n"),
  );
  assert.deepEqual(processGenerators.sort(), ["crunch", "main", "pooled"]);
  assert.match(code, /for \(;;\) \{if \(--__bl\.r <= 0\) yield __bl\.P; n\+\+; \}/);
});

test("a clause with a constant pattern and no handler is built once, at the top of the module", () => {
  const { code } = run(
    [
      `import { on, receive, _ as any, From } from "beamline-api";`,
      `function* main() {`,
      `  for (;;) yield* receive(on("stop"), on(["add", Number, -1, { k: any }]), on(["$call", From, \`x\`]));`,
      `}`,
      `export { main };`,
    ].join("\n"),
  );
  assert.match(code, /from "beamline-api";\nconst __bl_clause1 = on\("stop"\);\nconst __bl_clause2 = on\(\["add", Number, -1, \{ k: any \}\]\);\nconst __bl_clause3 = on\(\["\$call", From, `x`\]\);\n/);
  assert.match(code, /receive\(__bl_clause1, __bl_clause2, __bl_clause3\)/);
});

// Each of these would change what the program means if the clause were built once at the top.
test("clauses with handlers, variables, or names the module declares again are left where they are", () => {
  const cases = [
    `import { on, receive } from "beamline-api";\nfunction* f() { yield* receive(on("stop", () => 1)); }`,
    `import { on, receive } from "beamline-api";\nfunction* f(n) { yield* receive(on(["ok", n])); }`,
    `import { on, receive, _ } from "beamline-api";\nfunction* f() { const _ = 1; yield* receive(on(["ok", _])); }`,
    `import { on, receive } from "beamline-api";\nfunction* f(Number) { yield* receive(on(["ok", Number])); }`,
    `import { on, receive } from "beamline-api";\nfunction* f() { const on = (x) => x; yield* receive(on("stop")); }`,
    `import { receive } from "beamline-api";\nimport { on } from "events";\nfunction* f() { yield* receive(on("stop")); }`,
    `import { on, receive } from "beamline-api";\nfunction* f(e) { e.on("stop"); yield* receive(on(/stop/)); }`,
  ];
  for (const source of cases) assert.doesNotMatch(run(source).code, /__bl_clause/, source);
});

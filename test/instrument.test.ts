// The loader's AST pass: which functions yield at loop heads and which only count.

import assert from "node:assert/strict";
import { test } from "node:test";
import { instrument } from "../runtime/instrument.js";

const run = (source: string) => {
  const { code, processGenerators, sites } = instrument(source, (line, column) => ({ file: "prog.ts", line, column }), "beamline-api");
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
  assert.match(code, /\{if \(--__bl\.r < __bl\.lim\) __bl\.over\("prog\.ts:1"\);yield i;\}/);
});

test("plain functions count at entry and at loop heads, naming the user's line", () => {
  const { code } = run(`function spin() {\n  while (busy()) {}\n}`);
  assert.match(code, /function spin\(\) \{if \(--__bl\.r < __bl\.lim\) __bl\.over\("prog\.ts:1"\);/);
  assert.match(code, /while \(busy\(\)\) \{if \(--__bl\.r < __bl\.lim\) __bl\.over\("prog\.ts:2"\);\}/);
});

test("a nested plain function inside a process only counts", () => {
  const { code } = run(`function* main() { items.forEach((x) => { for (const y of x) {} }); }\nexport { main };`);
  assert.doesNotMatch(code, /yield __bl\.P/);
});

test("the runtime's budget object is imported once, at the top", () => {
  const { code } = run(`const a = 1;`);
  assert.ok(code.startsWith(`import { __beamline as __bl } from "beamline-api";\n`));
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

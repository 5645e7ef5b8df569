// `npm test`: installs what is missing, builds, type-checks, then runs every test:
// test/*.test.ts (runtime, protocol, telemetry), test/browser/*.test.ts (the visualizer in
// Chromium) and test/vscode/*.test.ts (the extension in a real VS Code).

import { execSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { ensureChromium } from "./ensureChromium.mjs";
import { ensureDependencies } from "./ensureDependencies.mjs";

const run = (command, env = {}) => execSync(command, { stdio: "inherit", env: { ...process.env, ...env } });
const testsIn = (dir) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".test.ts"))
        .map((f) => `${dir}/${f}`)
    : [];

ensureDependencies();
run("node scripts/build.mjs");
for (const project of ["tsconfig.json", "webview/tsconfig.json", "extension/tsconfig.json"]) {
  if (existsSync(project)) run(`npx tsc -p ${project}`);
}
const unit = testsIn("test");
const browser = testsIn("test/browser");
const vscode = testsIn("test/vscode");
if (browser.length > 0 || vscode.length > 0) ensureChromium();
if (vscode.length > 0) {
  const { ensureCodeServer } = await import("./ensureCodeServer.mjs");
  await ensureCodeServer();
}
run(`node --import tsx --test --test-reporter=spec ${[...unit, ...browser].join(" ")}`);
// The tests that run programs through the CLI, again with 1 and 4 schedulers as the default
// (the run above has one per core): what a program does must not depend on the count.
const throughCli = ["test/cli.test.ts", "test/examples.test.ts", "test/schedulers.test.ts"].filter(existsSync);
for (const n of [1, 4]) run(`node --import tsx --test --test-reporter=dot ${throughCli.join(" ")}`, { BEAMLINE_SCHEDULERS: String(n) });
// The tests on the in-thread harness (test/harness.ts), again with 2 and 4 schedulers (the run above
// has 1), their processes placed on every scheduler in turn; files pinned to one scheduler (and
// saying why) would only repeat themselves (docs/testing.md).
const onHarness = unit.filter((f) => {
  const text = readFileSync(f, "utf8");
  return text.includes(`from "./harness.js"`) && !text.includes("pinOneScheduler(");
});
for (const n of [2, 4]) run(`node --import tsx --test --test-reporter=dot ${onHarness.join(" ")}`, { BEAMLINE_SCHEDULERS: String(n) });
// The VS Code tests start a whole editor each; they run one file at a time.
if (vscode.length > 0) run(`node --import tsx --test --test-concurrency=1 --test-reporter=spec ${vscode.join(" ")}`);

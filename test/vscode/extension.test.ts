// The extension end to end, in a real VS Code (code-server 4.100.3 driven by Chromium): the
// packaged vsix installed into a fresh editor, a workspace with copies of the examples. Each step
// saves a screenshot into test-results/vscode/. Steps wait for the conditions they need, each
// within its own generous limit (issue 13 item 17: fixed 30 s waits failed on a loaded machine).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { eventually, exampleFiles, packageVsix, processesMatching, ROOT, startVsCode, waitsEndBy, type VsCode } from "./codeServer.js";

const SYNTAX_ERROR = `import { spawn } from "beamline";

export function* main() {
  const x = 1 +;
  spawn(function* () {});
}
`;

const CRASH = `// main crashes: a plain function throws.
function explode(depth: number): number {
  if (depth > 2) throw new Error("boom at depth " + depth);
  return explode(depth + 1);
}

export function* main() {
  console.log("about to crash");
  explode(0);
}
`;

/** A supervisor with a calculator child and a child that crashes five times at one line (issue 14). */
const SUPERVISED = readFileSync(path.join(ROOT, "test/fixtures/supervised_flaky.ts"), "utf8");
/** A CPU-bound pool spread over the schedulers (issue 15). */
const POOL = readFileSync(path.join(ROOT, "test/fixtures/scheduler_pool.ts"), "utf8");
/** The 1-based line of the first line of `text` that contains `needle`. */
const lineOf = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

let vscode: VsCode;

/**
 * Node's limit for one step, the setup or the teardown: about ten times what the slowest takes on
 * an idle machine. Its waits give up REPORT_MS earlier, so that a failure names the condition it
 * waited for and leaves a screenshot, before node cancels the step.
 */
const STEP_TIMEOUT_MS = 5 * 60_000;
const REPORT_MS = 20_000;

/** Runs `fn` with its waits ending before node's limit for it; on failure, a screenshot. */
async function withinStep(name: string, fn: () => Promise<void>): Promise<void> {
  waitsEndBy(Date.now() + STEP_TIMEOUT_MS - REPORT_MS);
  try {
    await fn();
  } catch (error) {
    waitsEndBy(Date.now() + REPORT_MS / 2);
    await vscode?.shot(`FAIL-${name.replace(/\W+/g, "-").slice(0, 40)}`).catch(() => undefined);
    vscode?.saveLogs();
    throw error;
  }
}

/** A test step that leaves a screenshot when it fails. */
function step(name: string, fn: () => Promise<void>): void {
  test(name, { timeout: STEP_TIMEOUT_MS }, () => withinStep(name, fn));
}
/** The runtime children of this editor: their command line names this run's extensions folder. */
const runtimes = () => processesMatching(`${vscode.exts}/`).filter((l) => l.includes("runtime-bundle/cli.js"));

// No limit for the whole suite: each step has its own.
describe("the Beamline extension in VS Code", () => {
  before(
    () =>
      withinStep("setup", async () => {
        const vsix = await packageVsix();
        vscode = await startVsCode(vsix, exampleFiles(["calculator.ts", "database_pool.ts"], { "syntax_error.ts": SYNTAX_ERROR, "crash.ts": CRASH, "supervised_flaky.ts": SUPERVISED, "scheduler_pool.ts": POOL }), "ext");
        await vscode.shot("workbench");
      }),
    { timeout: STEP_TIMEOUT_MS },
  );

  after(
    async () => {
      waitsEndBy(Date.now() + STEP_TIMEOUT_MS - REPORT_MS);
      const leftBefore = vscode ? runtimes() : [];
      await vscode?.stop();
      if (vscode) {
        // Even with the editor killed without a goodbye, the runtime's guard ends it.
        await eventually("no runtime left after the editor is gone", () => runtimes().length === 0 || undefined).catch((e) => {
          throw new Error(`${e.message}: ${runtimes().join("; ")} (before: ${leftBefore.length})`);
        });
      }
    },
    { timeout: STEP_TIMEOUT_MS },
  );

  step("Run Current File starts the runtime; the side panel shows its schedulers and processes", async () => {
    const { page } = vscode;
    await vscode.openFile("calculator.ts");
    await vscode.command("Beamline: Run Current File");
    await page.locator(".statusbar-item", { hasText: /\d+ process(es)? · / }).waitFor();
    assert.equal(runtimes().length, 1, "one runtime child process");
    await page.locator('.activitybar a.action-label[aria-label="Beamline"]').click();
    const text = await vscode.webviewText("overview", /\blive\b[\s\S]*Processes\s+1\b[\s\S]*\bS1\b/);
    assert.match(text, /schedulers/i);
    assert.match(text, /Processes\s+1\b/, "the calculator server is the one live process");
    assert.match(text, /Waiting\s+1\b/);
    await vscode.shot("run-side-panel");
  });

  step("the code lens above a spawn site shows the live count and opens the inspector for that process", async () => {
    const { page } = vscode;
    const lens = page.locator(".monaco-editor .codelens-decoration a", { hasText: "1 process · 0 queued · Inspect" });
    // VS Code asks for lenses after a delay that grows with the machine's load, and drops that
    // request when the editor's text loses focus (the side panel took it above): look at the editor.
    await vscode.focusEditor("calculator.ts");
    await lens.first().waitFor();
    await page.locator(".monaco-editor .codelens-decoration a", { hasText: /waiting here/ }).first().waitFor();
    await vscode.shot("code-lenses");
    await vscode.clickLens(lens.first(), page.locator(".tab", { hasText: "Beamline" }));
    const text = await vscode.webviewText("full", /<0\.\d+\.0>[\s\S]*Function\s+loop/);
    // The server waits in its loop's receive; found in the example, so that editing its comments moves nothing.
    const receiveLine = exampleFiles(["calculator.ts"])["calculator.ts"]!.split("\n").findIndex((l) => l.includes("const msg = yield* receive(")) + 1;
    assert.ok(receiveLine > 0, "the calculator's server loop receive");
    assert.match(text, new RegExp(`Waits at\\s+calculator\\.ts:${receiveLine}\\b`));
    await vscode.shot("lens-opens-inspector");
  });

  step("Inspect Process… picks a live process by function and inspects it", async () => {
    const { page } = vscode;
    await vscode.command("Beamline: Inspect Process…");
    const input = page.locator(".quick-input-widget:visible input");
    // The calculator's pid depends on the number of schedulers (one per core): found by its function.
    await page.locator(".quick-input-list .monaco-list-row", { hasText: /<0\.\d+\.0>/ }).first().waitFor();
    await input.fill("loop");
    await page.locator(".quick-input-list .monaco-list-row", { hasText: /<0\.\d+\.0>[\s\S]*loop|loop[\s\S]*<0\.\d+\.0>/ }).first().waitFor();
    await vscode.shot("inspect-quick-pick");
    await page.keyboard.press("Enter");
    await vscode.webviewText("full", /<0\.\d+\.0>[\s\S]*Function\s+loop/);
    await vscode.shot("inspect-process");
  });

  step("Kill Process… kills the picked process; the lens count follows", async () => {
    const { page } = vscode;
    await vscode.openFile("calculator.ts");
    await vscode.command("Beamline: Kill Process…");
    await page.locator(".quick-input-list .monaco-list-row", { hasText: /<0\.\d+\.0>/ }).first().waitFor();
    await page.locator(".quick-input-widget:visible input").fill("loop");
    await page.locator(".quick-input-list .monaco-list-row", { hasText: /loop/ }).first().waitFor();
    await page.keyboard.press("Enter");
    await vscode.toast(/killed <0\.\d+\.0>/).waitFor();
    await vscode.focusEditor("calculator.ts");
    await page.locator(".monaco-editor .codelens-decoration a", { hasText: "0 processes · 0 queued · Inspect" }).first().waitFor();
    await vscode.shot("kill-process");
  });

  step("Stop ends the child process: nothing left running", async () => {
    const { page } = vscode;
    const pids = runtimes();
    assert.equal(pids.length, 1);
    await vscode.command("Beamline: Stop");
    await page.locator(".statusbar-item", { hasText: "stopped from VS Code" }).waitFor();
    await eventually("the runtime process is gone", () => runtimes().length === 0 || undefined);
    await vscode.shot("stopped");
  });

  step("a program with a syntax error reports its location", async () => {
    const { page } = vscode;
    await vscode.openFile("syntax_error.ts");
    await vscode.command("Beamline: Run Current File");
    const toast = vscode.toast(/syntax_error\.ts:4:\d+/);
    await toast.waitFor();
    await page.locator(".monaco-editor .squiggly-error").first().waitFor();
    await vscode.shot("syntax-error");
    assert.equal(runtimes().length, 0);
    await page.keyboard.press("Escape");
  });

  step("a crash in main is reported at its source line, with Restart", async () => {
    const { page } = vscode;
    await vscode.openFile("crash.ts");
    await vscode.command("Beamline: Run Current File");
    const toast = vscode.toast(/main crashed: Error: boom at depth 3/);
    await toast.waitFor();
    await toast.getByRole("button", { name: "Restart" }).waitFor();
    await page.locator(".monaco-editor .squiggly-error").first().waitFor();
    await vscode.shot("main-crashed");
    await vscode.command("Beamline: Stop");
    await eventually("the runtime process is gone", () => runtimes().length === 0 || undefined);
  });

  step("a runtime that crashes is reported with Restart, and Restart runs it again", async () => {
    const { page } = vscode;
    await vscode.openFile("database_pool.ts");
    await vscode.command("Beamline: Run Current File");
    await page.locator(".statusbar-item", { hasText: /10[01] processes/ }).waitFor();
    await vscode.focusEditor("database_pool.ts");
    await page.locator(".monaco-editor .codelens-decoration a", { hasText: "100 processes · 0 queued · Inspect" }).first().waitFor();
    await page.locator(".monaco-editor .codelens-decoration a", { hasText: "100 waiting here" }).first().waitFor();
    await vscode.shot("pool-running");
    const [line] = runtimes();
    const pid = Number(line!.split(/\s+/)[0]);
    execFileSync("kill", ["-SEGV", String(pid)]);
    const toast = vscode.toast(/the runtime killed by SIGSEGV/);
    await toast.waitFor();
    await vscode.shot("runtime-crashed");
    await toast.getByRole("button", { name: "Restart" }).click();
    await page.locator(".statusbar-item", { hasText: /\d+ process(es)? · / }).waitFor();
    await eventually("a new runtime runs", () => (runtimes().length === 1 && !runtimes()[0]!.startsWith(`${pid} `)) || undefined);
    await vscode.webviewText("overview", /\blive\b[\s\S]*Processes\s+10[01]\b/);
    await vscode.webviewText("full", /\blive\b/);
    await vscode.focusEditor("database_pool.ts");
    await page.locator(".monaco-editor .codelens-decoration a", { hasText: "100 processes · 0 queued · Inspect" }).first().waitFor();
    await vscode.shot("restarted");
  });

  step("issue 14: a supervised child killed from the inspector comes back: the Supervision view shows the restart, the lens above startSupervisor counts it, and five crashes at one line are one diagnostic", async () => {
    const { page } = vscode;
    await vscode.openFile("supervised_flaky.ts");
    await vscode.command("Beamline: Run Current File");
    await page.locator(".statusbar-item", { hasText: /5 restarts/ }).waitFor();
    await vscode.focusEditor("supervised_flaky.ts");
    const supervisorLine = lineOf(SUPERVISED, "startSupervisor({");
    await vscode.goToLine(supervisorLine);
    const lens = (restarts: number) => page.locator(".monaco-editor .codelens-decoration a", { hasText: `3 processes · ${restarts} restarts · 5 crashes · Inspect` }).first();
    await lens(5).waitFor();
    await vscode.shot("supervisor-lens");

    // Five crashes at the throw: one problem with a count, naming the supervisor that restarted it.
    await page.locator(".monaco-editor .squiggly-error").first().waitFor();
    await vscode.command("View: Focus Problems (Errors, Warnings, Infos)");
    const problems = page.locator(".markers-panel");
    const throwLine = lineOf(SUPERVISED, "throw new Error(");
    await problems.locator(".monaco-list-row", { hasText: "flaky crashed 5 times: Error: boom on request" }).first().waitFor();
    await problems.locator(".monaco-list-row", { hasText: /restarted by supervisor <0\.\d+\.0>/ }).first().waitFor();
    const rows = await problems.locator(".monaco-list-row").allInnerTexts();
    assert.equal(rows.filter((r) => r.includes("crashed")).length, 1, `one crash problem, not five: ${rows.join(" | ")}`);
    // main's crash of crash.ts, two runs ago, went when a new run started.
    assert.ok(!rows.some((r) => r.includes("boom at depth")), `an earlier run's crash is gone: ${rows.join(" | ")}`);
    assert.ok(rows.some((r) => r.includes(`[Ln ${throwLine}`)), `the problem sits at the throw, line ${throwLine}: ${rows.join(" | ")}`);
    await vscode.shot("crash-problem-with-count");
    // The panel goes, so that the editor shows the supervisor's line and its lens again.
    await vscode.command("View: Hide Panel");

    // Kill the calculator from the inspector; its supervisor starts it again.
    await vscode.command("Beamline: Inspect Process…");
    const calculator = page.locator(".quick-input-list .monaco-list-row", { hasText: "calculator" });
    await calculator.waitFor();
    await page.locator(".quick-input-widget:visible input").fill("calculator");
    const killed = /<0\.\d+\.0>/.exec(await calculator.innerText())![0];
    await page.keyboard.press("Enter");
    await vscode.webviewText("full", new RegExp(`${killed.replace(/[.]/g, "\\.")}[\\s\\S]*Function\\s+calculator`));
    await vscode.editorPanel().locator('[data-testid="kill-button"]').click();
    await vscode.webviewText("full", new RegExp(`Killed ${killed.replace(/[.]/g, "\\.")}`));
    await vscode.shot("killed-from-inspector");
    // The lens follows; a click on it opens the Supervision view, where the calculator shows its restart.
    await vscode.focusEditor("supervised_flaky.ts");
    await vscode.goToLine(supervisorLine);
    await lens(6).waitFor();
    await vscode.shot("supervisor-lens-follows");
    const panel = vscode.editorPanel();
    // The restart count is its own badge: the text beside it runs on without a space.
    const restartedOnce = panel.locator(".restart-badge", { hasText: /^↻ 1$/ });
    const calc = panel.locator('li.sup-item.child[data-id="calc"]').filter({ has: restartedOnce });
    await vscode.clickLens(lens(6), calc);
    // The latest restart, first in the list: the calculator, with the kill's reason.
    await panel
      .locator('[data-testid="supervision-restarts"] li')
      .first()
      .filter({ has: panel.locator(".node-id", { hasText: /^calc$/ }) })
      .filter({ has: restartedOnce })
      .filter({ has: panel.locator(".restart-reason", { hasText: "killed" }) })
      .waitFor();
    const tree = await vscode.webviewText("full", /one_for_one[\s\S]*calc[\s\S]*flaky/);
    assert.match(tree, /6 restarts/, "the supervisor's six restarts");
    await vscode.shot("supervision-view-restart");
  });

  step("issue 15: Run With Options… schedulers=2 spreads a pool over two schedulers: the status bar counts both busy, and the Schedulers view shows both rows moving", async () => {
    const { page } = vscode;
    await vscode.openFile("scheduler_pool.ts");
    await vscode.command("Beamline: Run With Options…");
    const input = page.locator(".quick-input-widget:visible input");
    await input.fill("schedulers=2");
    await page.keyboard.press("Enter");
    await page.locator(".statusbar-item", { hasText: /\b2\/2 busy\b/ }).waitFor();
    await vscode.shot("two-schedulers-status-bar");
    await vscode.command("Beamline: Open Visualizer");
    const panel = vscode.editorPanel();
    await panel.locator('[data-tab="schedulers"]').click();
    await panel.locator('[data-testid="scheduler-row"][data-scheduler="2"]').waitFor();
    for (const i of [1, 2]) {
      const lane = panel.locator(`[data-testid="timeline-${i}"]`);
      // Ticks of its own in which it ran work: the lane moves.
      for (let ran = 0; ran < 5; await new Promise((r) => setTimeout(r, 200))) ran = Number((await lane.getAttribute("data-ran")) ?? 0);
    }
    await vscode.webviewText("full", /Scheduler 1[\s\S]*busy\s*([5-9]\d|100)%[\s\S]*Scheduler 2[\s\S]*busy\s*([5-9]\d|100)%/i);
    await vscode.shot("two-schedulers-view");
    await vscode.command("Beamline: Stop");
    await eventually("the pool's runtime ended", () => runtimes().length === 0 || undefined);
  });

  step("after a window reload the runtime is gone, the editor panel is restored and the side panel shows again", async () => {
    const { page } = vscode;
    await vscode.command("Developer: Reload Window");
    await page.locator(".monaco-workbench").waitFor();
    await eventually("the runtime ended with its window", () => runtimes().length === 0 || undefined);
    await page.locator(".tab", { hasText: "Beamline" }).waitFor();
    // Our serializer restored the editor panel: the new extension host is up.
    await vscode.webviewText("full", /Overview[\s\S]*Schedulers/);
    // code-server now and then restores the side panel's frame without ever loading its webview,
    // even once the view is focused and after the side bar was closed and opened again (CI saw a
    // blank panel for 280 s after a reload, twice; the view retains its context when hidden, so
    // it keeps the same frame). VS Code resolves a webview view when it shows it, the extension
    // only answers. A user facing a blank panel reloads the webviews; so does the test, rather than
    // guess how long a restore may take on a loaded machine. What it checks is that our provider
    // serves the side panel again after the window reload.
    await vscode.command("Focus on Overview View");
    await vscode.command("Developer: Reload Webviews");
    try {
      await vscode.webviewText("overview", /Open visualizer/i);
    } catch (error) {
      // What the page and the extension host had, so that a failure says why.
      const frames = page.frames().map((f) => f.url()).filter((url) => url.includes("webview"));
      throw new Error(
        `${(error as Error).message}\nwebview frames:\n  ${frames.join("\n  ")}\nthe extension host's log, last 3,000 characters:\n${vscode.extensionHostLog().slice(-3000)}`,
      );
    }
    await vscode.shot("reloaded");
  });
});

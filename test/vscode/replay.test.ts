// Issue 16 in a real VS Code (code-server driven by Chromium, as extension.test.ts): every run
// started from VS Code is recorded, so Beamline: Review Last Run opens the visualizer on the
// recording after the program ended; Beamline: Open Recording… opens a saved one through the file
// picker; a recording's code lenses stay on its source lines. Screenshots go to
// test-results/vscode/replay-*.png.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { eventually, exampleFiles, packageVsix, processesMatching, ROOT, startVsCode, waitsEndBy, type VsCode } from "./codeServer.js";

let vscode: VsCode;

/** Node's limit for one step; its waits give up REPORT_MS earlier, naming what they waited for. */
const STEP_TIMEOUT_MS = 5 * 60_000;
const REPORT_MS = 20_000;

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

function step(name: string, fn: () => Promise<void>): void {
  test(name, { timeout: STEP_TIMEOUT_MS }, () => withinStep(name, fn));
}

/** The runtime children of this editor (runs and replays): their command line names this run's extensions folder. */
const runtimes = () => processesMatching(`${vscode.exts}/`).filter((l) => l.includes("runtime-bundle/cli.js"));

describe("record and replay in VS Code (issue 16)", () => {
  before(
    () =>
      withinStep("setup", async () => {
        const vsix = await packageVsix();
        vscode = await startVsCode(vsix, exampleFiles(["bottleneck.ts"]), "replay");
      }),
    { timeout: STEP_TIMEOUT_MS },
  );

  after(
    async () => {
      waitsEndBy(Date.now() + STEP_TIMEOUT_MS - REPORT_MS);
      await vscode?.stop();
      if (vscode) await eventually("no runtime or replay left after the editor is gone", () => runtimes().length === 0 || undefined);
    },
    { timeout: STEP_TIMEOUT_MS },
  );

  step("issue 16: Review Last Run after a program ended opens the visualizer on its recording, which says it is a replay", async () => {
    const { page } = vscode;
    await vscode.openFile("bottleneck.ts");
    await vscode.command("Beamline: Run Current File");
    await page.locator('.activitybar a.action-label[aria-label="Beamline"]').click();
    // The run goes on after main (--keep-alive): its side panel says when main ended.
    await vscode.webviewText("overview", /\blive\b[\s\S]*main ended at /);
    await vscode.shot("run-ended");
    const run = runtimes();
    assert.equal(run.length, 1, "one runtime");
    assert.match(run[0]!, / --record \S*last-run\.beamrec/, "the run records to the extension's storage");

    await vscode.command("Beamline: Review Last Run");
    const text = await vscode.webviewText("full", /replay, not live[\s\S]*main ended at [\d.]+ m?s[\s\S]*Replay of \S*last-run\.beamrec/);
    assert.match(text, /Past warnings \(\d+\)|No warnings\./);
    await page.locator(".statusbar-item", { hasText: "Beamline: replay" }).waitFor();
    await eventually("the run stopped and a replay serves its recording", () => {
      const now = runtimes();
      return (now.length === 1 && / replay \S*last-run\.beamrec/.test(now[0]!)) || undefined;
    });
    await vscode.shot("review-last-run");
  });

  step("issue 16: the recording keeps its code lenses on the source lines, with the counts it ended with, and a click shows the site in the visualizer", async () => {
    const { page } = vscode;
    // The run ended with the pool's 100 servers (bottleneck.ts:88) and the first server (:85) waiting in their receive.
    await vscode.focusEditor("bottleneck.ts");
    await vscode.goToLine(35);
    await page.locator(".monaco-editor .codelens-decoration a", { hasText: "At the recording's end: 101 waiting here" }).first().waitFor();
    await vscode.goToLine(88);
    const lens = page.locator(".monaco-editor .codelens-decoration a", { hasText: "At the recording's end: 100 processes · 0 queued · Show" });
    await lens.first().waitFor();
    await page.locator(".monaco-editor .codelens-decoration a", { hasText: "At the recording's end: 1 process · 0 queued · Show" }).first().waitFor();
    await vscode.shot("recording-lenses");
    // Nothing live to list: the click opens the visualizer's Processes view on that site.
    await vscode.clickLens(lens.first(), vscode.editorPanel().locator(".site-chip:not([hidden])", { hasText: "bottleneck.ts:88" }));
    await vscode.editorPanel().locator('[data-tab="processes"][aria-selected="true"]').waitFor();
    // The table of the recording's end, where the lens's count comes from: the pool's 100 of the 101 processes.
    await vscode.editorPanel().locator('[data-testid="process-count"]', { hasText: "100 of 101 processes" }).waitFor();
    await vscode.shot("recording-lens-shows-site");
  });

  step("issue 16: Open Recording… opens a saved recording through the file picker", async () => {
    const { page } = vscode;
    const saved = path.join(vscode.workspace, "saved.beamrec");
    execFileSync(process.execPath, [path.join(ROOT, "dist/runtime/cli.js"), "run", path.join(ROOT, "examples/ping_pong.ts"), "--record", saved], { cwd: ROOT, stdio: "pipe" });
    await vscode.command("Beamline: Open Recording…");
    // code-server's file picker is a quick input over the workspace folder: pick the file in its list.
    const widget = page.locator(".quick-input-widget:visible", { hasText: "Beamline: Open Recording" });
    const row = widget.locator(".quick-input-list .monaco-list-row", { hasText: "saved.beamrec" }).first();
    await row.waitFor();
    await row.click();
    // A click picks the file, or only puts its path in the input, which Enter then accepts.
    const outcome = await page.waitForFunction(() => {
      const picker = document.querySelector(".quick-input-widget");
      if (!(picker instanceof HTMLElement) || getComputedStyle(picker).display === "none") return "picked";
      return picker.querySelector("input")?.value.endsWith("saved.beamrec") ? "path" : false;
    });
    if ((await outcome.jsonValue()) === "path") await page.keyboard.press("Enter");
    // The header comes with the replay's hello, "main ended" with its history a moment later: wait for both.
    await vscode.webviewText("full", /replay, not live[\s\S]*examples\/ping_pong\.ts[\s\S]*main ended at [\d.]+ m?s[\s\S]*Replay of \S*saved\.beamrec/);
    await vscode.shot("open-recording");
    await vscode.command("Beamline: Stop");
    await eventually("the replay is gone", () => runtimes().length === 0 || undefined);
  });
});

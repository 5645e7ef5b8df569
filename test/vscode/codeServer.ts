// A real VS Code for the end-to-end tests: code-server 4.100.3 (installed by
// scripts/ensureCodeServer.mjs into .cache/code-server) with the packaged extension installed
// into a fresh, private extensions folder, driven by playwright-core and Debian's Chromium.
// Everything lives in one temporary run folder; stop() kills code-server's whole process group and
// removes the folder.
// No wait here has a fixed limit: every wait (Playwright's, webviewText, eventually) gives up at
// the deadline the current test step set with waitsEndBy, so a slow machine makes a step slower,
// never red, until the step's own limit.

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type FrameLocator, type Locator, type Page } from "playwright-core";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const ENTRY = path.join(ROOT, ".cache/code-server/node_modules/code-server/out/node/entry.js");
export const SHOTS = path.join(ROOT, "test-results/vscode");
export const EXTENSION_ID = "beamline.beamline";
/** How long a quick input may take to open, or to take its text, before its keys are pressed again. */
const QUICK_INPUT_RETRY_MS = 10_000;

let packaged: string | undefined;

/** When the current step's waits give up (ms since the epoch). */
let waitDeadline = Number.POSITIVE_INFINITY;
/** Told when the deadline moves: the open editors' Playwright contexts. */
const deadlineFollowers = new Set<() => void>();

/**
 * Every wait from now on gives up at `deadline` (ms since the epoch) with a message that says what
 * it waited for: a test step sets its own deadline a little before node's timeout for the step, so
 * that its waits share the step's time and the failure names the condition, not just the step.
 */
export function waitsEndBy(deadline: number): void {
  waitDeadline = deadline;
  for (const follow of deadlineFollowers) follow();
}

/** The time left until the deadline, as Playwright takes a timeout (0: none). */
function timeLeft(): number {
  return waitDeadline === Number.POSITIVE_INFINITY ? 0 : Math.max(1, waitDeadline - Date.now());
}

/** Whether the waits' deadline has passed. */
const pastDeadline = () => Date.now() > waitDeadline;

/** Builds the vsix once per test process (`npm run package`). */
export async function packageVsix(): Promise<string> {
  if (packaged) return packaged;
  const { packageExtension } = await import(path.join(ROOT, "extension/package.mjs"));
  packaged = (await packageExtension({ quiet: true })) as string;
  return packaged;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface VsCode {
  page: Page;
  run: string;
  workspace: string;
  exts: string;
  /** Takes a screenshot into test-results/vscode/<name>.png. */
  shot(name: string): Promise<string>;
  command(title: string): Promise<void>;
  openFile(name: string): Promise<void>;
  toast(text: string | RegExp): ReturnType<Page["locator"]>;
  sidePanel(): FrameLocator;
  editorPanel(): FrameLocator;
  /** Every extension host's log of this run, oldest first (a reload starts a new host). */
  extensionHostLog(): string;
  /** Copies the extension hosts' and code-server's logs into test-results/vscode/, for a failed step (stop() removes the run folder). */
  saveLogs(): void;
  /**
   * Clicks a code lens until its command has run, which `done` shows. VS Code drops a click on a
   * lens whose list it has just replaced with a fresh one (it says "Actual command not found" in
   * the extension host's log): it does so when a focus change makes it ask for lenses again while
   * the old ones are still drawn, a window that a loaded machine stretches to seconds.
   */
  clickLens(lens: Locator, done: Locator): Promise<void>;
  /** Focuses the text of the editor showing `name`, where VS Code asks for code lenses (it drops a pending request when the text loses focus). */
  focusEditor(name: string): Promise<void>;
  /** Moves the active editor's cursor to a 1-based line and scrolls it into view: the editor draws lenses only near what it shows. */
  goToLine(line: number): Promise<void>;
  /** Waits until the text of a visualizer webview (by its layout: "overview" = side panel, "full" = editor panel) matches. */
  webviewText(layout: "overview" | "full", pattern: RegExp): Promise<string>;
  stop(): Promise<void>;
}

/** Starts code-server on a copy of `files` (name → content), with the vsix installed, and opens it in Chromium. */
export async function startVsCode(vsix: string, files: Record<string, string>, prefix: string): Promise<VsCode> {
  if (!existsSync(ENTRY)) throw new Error(`code-server is not installed at ${ENTRY}; run: node scripts/ensureCodeServer.mjs`);
  mkdirSync(SHOTS, { recursive: true });
  // This run's screenshots only: a stale one from an earlier run would mislead.
  for (const f of readdirSync(SHOTS)) if (f.startsWith(`${prefix}-`)) rmSync(path.join(SHOTS, f));
  const run = mkdtempSync(path.join(tmpdir(), "beamline-vscode-"));
  const workspace = path.join(run, "workspace");
  mkdirSync(workspace, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(workspace, name)), { recursive: true });
    writeFileSync(path.join(workspace, name), content);
  }
  const udd = path.join(run, "udd");
  const exts = path.join(run, "exts");
  const env = { ...process.env, XDG_CONFIG_HOME: path.join(run, "xdg-config"), XDG_DATA_HOME: path.join(run, "xdg-data") };
  delete (env as NodeJS.ProcessEnv).ESBUILD_BINARY_PATH;
  const dirs = ["--user-data-dir", udd, "--extensions-dir", exts];
  execFileSync(process.execPath, [ENTRY, "--install-extension", vsix, ...dirs], { env, stdio: "pipe" });
  mkdirSync(path.join(udd, "User"), { recursive: true });
  writeFileSync(
    path.join(udd, "User/settings.json"),
    JSON.stringify({
      "workbench.startupEditor": "none",
      "telemetry.telemetryLevel": "off",
      "update.mode": "none",
      "extensions.autoCheckUpdates": false,
      "extensions.autoUpdate": false,
      "workbench.tips.enabled": false,
      "remote.autoForwardPorts": false,
      "security.workspace.trust.enabled": false,
      "typescript.validate.enable": false,
      "editor.minimap.enabled": false,
      "window.commandCenter": false,
      "chat.commandCenter.enabled": false,
    }),
  );
  const port = await freePort();
  const log = openSync(path.join(run, "code-server.log"), "w");
  const server: ChildProcess = spawn(
    process.execPath,
    [ENTRY, "--bind-addr", `127.0.0.1:${port}`, "--auth", "none", ...dirs, "--disable-telemetry", "--disable-update-check", "--disable-getting-started-override", "--disable-workspace-trust", workspace],
    { env, stdio: ["ignore", log, log], detached: true },
  );
  const killServer = () => {
    try {
      process.kill(-server.pid!, "SIGKILL");
    } catch {
      // gone
    }
  };
  process.once("exit", killServer);
  const serverExited = new Promise((resolve) => server.once("exit", resolve));
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
    } catch {
      // not yet
    }
    if (server.exitCode !== null) throw new Error(`code-server exited with ${server.exitCode}; see ${run}/code-server.log`);
    if (pastDeadline()) throw new Error(`code-server did not answer /healthz; see ${run}/code-server.log`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const context: BrowserContext = await chromium.launchPersistentContext(mkdtempSync(path.join(run, "chrome-")), {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1500, height: 900 },
  });
  // Playwright reads its default timeout when a wait starts: keep it at the time left, at once
  // when a step sets its deadline and every half second as the time runs out.
  const followDeadline = () => context.setDefaultTimeout(timeLeft());
  followDeadline();
  deadlineFollowers.add(followDeadline);
  const following = setInterval(followDeadline, 500);
  following.unref();
  const page = context.pages()[0] ?? (await context.newPage());
  // The browser console (webviews included), for when a step fails.
  const consoleLog = path.join(SHOTS, `${prefix}-console.log`);
  writeFileSync(consoleLog, "");
  page.on("console", (m) => appendFileSync(consoleLog, `[${m.type()}] ${m.text()}\n`));
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
  await page.locator(".monaco-workbench").waitFor();
  await page.locator(".statusbar").waitFor();
  // The extension's activity bar entry: it is installed and the workbench knows it.
  await page.locator('.activitybar a.action-label[aria-label="Beamline"]').waitFor();

  const frameOf = (purpose: "view" | "panel") =>
    page
      .frameLocator(`iframe.webview.ready[src*="extensionId=${EXTENSION_ID}"]${purpose === "view" ? '[src*="purpose=webviewView"]' : ':not([src*="purpose=webviewView"])'}`)
      .frameLocator("iframe#active-frame");

  // A text editor's active tab: a click on it focuses that editor. Not the editor's text, whose
  // corner can be scrolled away under the side bar (a click there never landed, for 280 s).
  const editorTab = (name: string | RegExp) => page.locator(".part.editor .tab.active", { hasText: name }).first();

  // Keys typed while a webview has focus go to the webview: give the focus back to the workbench
  // before a shortcut.
  const focusWorkbench = async () => {
    const tab = editorTab(/\.[cm]?[jt]s\b/);
    if (await tab.isVisible()) await tab.click({ position: { x: 10, y: 10 } });
    else await page.locator(".part.statusbar").click({ position: { x: 700, y: 10 } });
    await page.keyboard.press("Escape");
  };

  /**
   * Opens the palette or quick open with its shortcut. Keys go to whatever has the focus when they
   * arrive: when a webview took it meanwhile (its frame is the active element) or nothing has it,
   * the keys are lost and are pressed again; otherwise the workbench has them and the quick input
   * opens, however late.
   */
  const openQuickInput = async (keys: string) => {
    for (;;) {
      await focusWorkbench();
      await page.keyboard.press(keys);
      // Bounded, then the keys are pressed again: CI (ci29, ci30) saw the widget open and close
      // between two polls, the focus then on a workbench element, and this wait never end.
      const outcome = await page
        .waitForFunction(
          () => {
            const widget = document.querySelector(".quick-input-widget");
            if (widget instanceof HTMLElement && getComputedStyle(widget).display !== "none" && widget.querySelector("input") !== null) return "open";
            // Keys reach the workbench only from an element inside it: with the focus on a webview's
            // frame, or on nothing (the body, after a panel that had it was hidden), they are lost.
            const active = document.activeElement;
            return active instanceof HTMLIFrameElement || active === null || active === document.body ? "keys lost" : false;
          },
          undefined,
          { timeout: QUICK_INPUT_RETRY_MS },
        )
        .catch(() => undefined);
      if (outcome === undefined || (await outcome.jsonValue()) !== "open") continue;
      // A quick input closes when it loses the focus, and the full run once saw it shown and gone
      // again before it could be filled (a fill then waits for ever): it is ready once its input
      // has the focus; when it closed first, it is opened again.
      const settled = await page.waitForFunction(() => {
        const widget = document.querySelector(".quick-input-widget");
        if (!(widget instanceof HTMLElement) || getComputedStyle(widget).display === "none") return "closed";
        const input = widget.querySelector("input");
        return input !== null && document.activeElement === input ? "focused" : false;
      });
      if ((await settled.jsonValue()) === "focused") return page.locator(".quick-input-widget:visible input");
    }
  };

  /**
   * Opens a quick input and types `text` into it. It can still close before the text is in (ci30:
   * a fill waited 280 s for an input that had gone), so a fill that finds none opens it again.
   */
  const typeInQuickInput = async (keys: string, text: string) => {
    for (;;) {
      const input = await openQuickInput(keys);
      const filled = await input
        .fill(text, { timeout: QUICK_INPUT_RETRY_MS })
        .then(() => true)
        .catch(() => false);
      if (filled) return;
      if (pastDeadline()) throw new Error(`the quick input (${keys}) kept closing before "${text}" could be typed in`);
    }
  };

  /**
   * Types `text` into a quick input and presses Enter on the row that shows `row`. ci33 saw quick
   * open take "database_pool.ts" and then show no row for 270 s: the widget had closed after the
   * text was in. A row that does not show in time opens the quick input again, and each miss prints
   * what the widget showed, so that the next failure says why.
   */
  const pickInQuickInput = async (keys: string, text: string, row: string) => {
    for (;;) {
      await typeInQuickInput(keys, text);
      const shown = await page
        .locator(".quick-input-list .monaco-list-row", { hasText: row })
        .first()
        .waitFor({ timeout: QUICK_INPUT_RETRY_MS })
        .then(() => true)
        .catch(() => false);
      if (shown) {
        await page.keyboard.press("Enter");
        return;
      }
      const state = await page.evaluate(() => {
        const widget = document.querySelector(".quick-input-widget");
        const visible = widget instanceof HTMLElement && getComputedStyle(widget).display !== "none";
        const rows = Array.from(document.querySelectorAll(".quick-input-list .monaco-list-row"), (r) => (r as HTMLElement).innerText.split("\n")[0]);
        const active = document.activeElement;
        return `widget ${visible ? "shown" : "hidden"}, input "${widget?.querySelector("input")?.value ?? ""}", rows [${rows.slice(0, 5).join(" | ")}], focus on ${active?.tagName ?? "nothing"}.${active?.className ?? ""}`;
      });
      console.log(`harness: no "${row}" row after typing "${text}" (${keys}), opening it again: ${state}`);
      if (pastDeadline()) throw new Error(`the quick input (${keys}) never showed a "${row}" row for "${text}": ${state}`);
    }
  };

  let shotNumber = 0;
  const editor: VsCode = {
    page,
    run,
    workspace,
    exts,
    async shot(name) {
      const file = path.join(SHOTS, `${prefix}-${String(++shotNumber).padStart(2, "0")}-${name}.png`);
      await page.screenshot({ path: file });
      return file;
    },
    async command(title) {
      await pickInQuickInput("F1", `>${title}`, title);
    },
    async openFile(name) {
      await pickInQuickInput("Control+P", name, name);
      await page.locator(".tab.active", { hasText: name }).waitFor();
      await page.locator(".monaco-editor .view-lines").first().waitFor();
    },
    toast: (text) => page.locator(".notifications-toasts .notification-list-item", { hasText: text }),
    async clickLens(lens, done) {
      const dropped = () => editor.extensionHostLog().split("Actual command not found").length;
      for (;;) {
        const before = dropped();
        await lens.click();
        for (;;) {
          if (await done.first().isVisible()) return;
          if (dropped() > before) break;
          if (pastDeadline()) throw new Error(`after a click on ${lens}, ${done} never showed`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    },
    async goToLine(line) {
      await typeInQuickInput("Control+G", `:${line}`);
      await page.keyboard.press("Enter");
      await page.locator(".statusbar-item", { hasText: new RegExp(`\\bLn ${line}\\b`) }).first().waitFor();
    },
    async focusEditor(name) {
      await editorTab(name).click({ position: { x: 10, y: 10 } });
      await page.locator(".part.editor .editor-group-container", { has: page.locator(".tab.active", { hasText: name }) }).locator(".monaco-editor.focused").first().waitFor();
    },
    sidePanel: () => frameOf("view"),
    editorPanel: () => frameOf("panel"),
    async webviewText(layout, pattern) {
      let last = "";
      for (;;) {
        for (const frame of page.frames()) {
          const text = await frame
            .evaluate((l) => (document.querySelector(`#beamline[data-layout="${l}"]`) as HTMLElement | null)?.innerText ?? null, layout)
            .catch(() => null);
          if (text === null) continue;
          last = text;
          if (pattern.test(text)) return text;
        }
        if (pastDeadline()) throw new Error(`the ${layout} webview never showed ${pattern}; last text: ${last.slice(0, 300)}`);
        await page.waitForTimeout(250);
      }
    },
    extensionHostLog() {
      const logs = path.join(udd, "logs");
      if (!existsSync(logs)) return "";
      const out: string[] = [];
      for (const session of readdirSync(logs).sort()) {
        // One extension host per window load: exthost1, then exthost2 after a reload, and so on.
        const hosts = readdirSync(path.join(logs, session))
          .filter((d) => /^exthost\d+$/.test(d))
          .sort((a, b) => Number(a.slice(7)) - Number(b.slice(7)));
        for (const host of hosts) {
          const f = path.join(logs, session, host, "remoteexthost.log");
          if (existsSync(f)) out.push(readFileSync(f, "utf8"));
        }
      }
      return out.join("\n");
    },
    saveLogs() {
      writeFileSync(path.join(SHOTS, `${prefix}-exthost.log`), editor.extensionHostLog());
      cpSync(path.join(run, "code-server.log"), path.join(SHOTS, `${prefix}-code-server.log`));
    },
    async stop() {
      clearInterval(following);
      deadlineFollowers.delete(followDeadline);
      await context.close().catch(() => undefined);
      killServer();
      await serverExited;
      // A failed step has copied the logs it needs (saveLogs); the rest is 40 MB of editor state.
      rmSync(run, { recursive: true, force: true, maxRetries: 5 });
    },
  };
  return editor;
}

/** Copies of the examples (and extra files), as the test workspace's contents. */
export function exampleFiles(names: string[], extra: Record<string, string> = {}): Record<string, string> {
  const files: Record<string, string> = {};
  for (const n of names) files[n] = readFileSync(path.join(ROOT, "examples", n), "utf8");
  return { ...files, ...extra };
}

/** OS processes whose command line mentions `needle` (the runtime started from this run's extension folder). */
export function processesMatching(needle: string): string[] {
  const out = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((l) => l.includes(needle) && !l.includes("ps -eo"))
    .map((l) => l.trim());
}

/** Polls `fn` until it returns a value, or fails at the waits' deadline saying what it waited for. */
export async function eventually<T>(what: string, fn: () => T | undefined | false): Promise<T> {
  for (;;) {
    const v = fn();
    if (v) return v;
    if (pastDeadline()) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export { cpSync };

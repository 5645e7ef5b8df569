// `npm start`: installs what is missing, builds, and runs a seed example with the visualizer.
// examples/bottleneck.ts (the chapter's server, then its pool) starts once the visualizer has
// connected, so that it shows the whole run, and stays up after main returns so that the result
// can be looked at; Ctrl-C stops it.

import { execSync, spawn } from "node:child_process";
import { ensureDependencies } from "./ensureDependencies.mjs";

const EXAMPLE = "examples/bottleneck.ts";
const FLAGS = ["--telemetry", "--wait-for-viewer", "--keep-alive"];

ensureDependencies();
execSync("node scripts/build.mjs", { stdio: "inherit" });
// Built just above, so imported only now.
const { findTelemetryLine } = await import("../dist/protocol/telemetryLine.js");
console.log(`$ beamline run ${EXAMPLE} ${FLAGS.join(" ")}\n`);
const runtime = spawn(process.execPath, ["dist/runtime/cli.js", "run", EXAMPLE, ...FLAGS], { stdio: ["inherit", "pipe", "inherit"] });

let beforeUrl = "";
runtime.stdout.on("data", (chunk) => {
  process.stdout.write(chunk);
  if (beforeUrl === null) return;
  beforeUrl += chunk;
  const endpoint = findTelemetryLine(beforeUrl);
  if (endpoint === undefined) return;
  beforeUrl = null;
  const { url } = endpoint;
  console.log(`\nThe visualizer: ${url}\nOpen it in a browser; the program starts when it connects. Ctrl-C stops the run.\n`);
  openBrowser(url);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => runtime.kill(signal));
runtime.on("exit", (code, signal) => process.exit(code ?? (signal === null ? 1 : 0)));

/** Opens the URL where there is a desktop to open it on; elsewhere the printed URL is the way. */
function openBrowser(url) {
  const command =
    process.platform === "darwin"
      ? ["open", url]
      : process.platform === "win32"
        ? ["cmd", "/c", "start", "", url]
        : process.env.DISPLAY || process.env.WAYLAND_DISPLAY
          ? ["xdg-open", url]
          : null;
  if (command === null) return;
  const opener = spawn(command[0], command.slice(1), { stdio: "ignore", detached: true });
  // No opener installed: the URL printed above is enough.
  opener.on("error", () => {});
  opener.unref();
}

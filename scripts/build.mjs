// Builds everything into dist/:
// - dist/runtime, dist/protocol: one ES module per source file, so that the scheduler thread and
//   the user's program share one instance of the runtime API module;
// - dist/webview: the visualizer bundle (webview/main.ts), used by VS Code webviews and by the
//   runtime's standalone page;
// - dist/extension: the VS Code extension bundle (extension/extension.ts).
// `node scripts/build.mjs runtime` (or webview, extension) builds only those parts.

import { build } from "esbuild";
import { existsSync, readdirSync, rmSync } from "node:fs";

// runtime/ has rooms (core/, host/, ...), so the listing is recursive.
const sources = ["runtime", "protocol"].flatMap((dir) =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => `${dir}/${f}`),
);

const only = process.argv.slice(2);
const wanted = (part) => only.length === 0 || only.includes(part);

const builds = [];
if (wanted("runtime")) {
  // Emptied first, so that a source file that was deleted or renamed leaves no module behind.
  for (const dir of ["dist/runtime", "dist/protocol"]) rmSync(dir, { recursive: true, force: true });
  builds.push(build({
    entryPoints: sources,
    outdir: "dist",
    outbase: ".",
    bundle: false,
    format: "esm",
    platform: "node",
    target: "node20",
    sourcemap: "linked",
    logLevel: "warning",
  }));
}
if (wanted("webview") && existsSync("webview/build.mjs")) builds.push(import("../webview/build.mjs").then((m) => m.buildWebview()));
if (wanted("extension") && existsSync("extension/build.mjs")) builds.push(import("../extension/build.mjs").then((m) => m.buildExtension()));

await Promise.all(builds);

// Builds the visualizer bundle (one script, one stylesheet) and the standalone page that the
// runtime serves. The same two files are loaded by the VS Code extension's webview HTML.

import { build } from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outdir = path.join(root, "dist/webview");

// No inline script or style: the runtime's CSP allows only 'self'.
const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Beamline</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/visualizer.css">
<script defer src="/visualizer.js"></script>
</head>
<body>
<div id="beamline" data-layout="full"></div>
</body>
</html>
`;

export async function buildWebview() {
  mkdirSync(outdir, { recursive: true });
  await build({
    // The worker that owns the telemetry WebSocket is a script of its own (see socketWorker.ts).
    entryPoints: { visualizer: path.join(root, "webview/main.ts"), "visualizer-worker": path.join(root, "webview/socketWorker.ts") },
    outdir,
    bundle: true,
    format: "iife",
    platform: "browser",
    target: ["chrome110"],
    // BEAMLINE_WEBVIEW_MINIFY=0 keeps names readable in CPU profiles (bench/render.mjs --profile).
    minify: process.env.BEAMLINE_WEBVIEW_MINIFY !== "0",
    sourcemap: "linked",
    legalComments: "none",
    logLevel: "warning",
  });
  writeFileSync(path.join(outdir, "index.html"), INDEX_HTML);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildWebview();

// Builds the visualizer bundle (one script, one stylesheet) and the standalone page that the
// runtime serves. The same two files are loaded by the VS Code extension's webview HTML.

import { build } from "esbuild";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
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

/**
 * The toolkit's FAST library tests for :focus-visible by adding an empty <style> element to the
 * page, which a strict CSP (style-src 'self', no nonce) refuses with a console error on every load.
 * The same test on a constructable stylesheet touches no element, so no CSP applies to it and none
 * needs loosening. The build fails if the library's code changes, rather than let the error back.
 */
const focusVisibleProbe = {
  name: "focus-visible-probe",
  setup(b) {
    b.onLoad({ filter: /fast-web-utilities[\\/]dist[\\/]dom\.js$/ }, (args) => {
      const source = readFileSync(args.path, "utf8");
      const probe = /const styleElement = document\.createElement\("style"\);[\s\S]*?document\.head\.removeChild\(styleElement\);\s*\}/;
      if (!probe.test(source)) throw new Error(`${args.path}: the :focus-visible probe changed; see focusVisibleProbe in webview/build.mjs`);
      const contents = source.replace(
        probe,
        `try {
        new CSSStyleSheet().insertRule("foo:focus-visible {color:inherit}", 0);
        _canUseFocusVisible = true;
    }
    catch (e) {
        _canUseFocusVisible = false;
    }`,
      );
      return { contents, loader: "js" };
    });
  },
};

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
    plugins: [focusVisibleProbe],
  });
  writeFileSync(path.join(outdir, "index.html"), INDEX_HTML);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildWebview();

// `npm run package`: builds everything (the extension and runtime bundles minified), then packs
// beamline-<version>.vsix with vsce. The vsix is platform-specific (it carries esbuild's native
// binary for this platform, which the runtime uses to compile programs) and needs no node_modules.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildExtension } from "./build.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { version } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const target = `${process.platform === "win32" ? "win32" : process.platform}-${process.arch}`;
const out = path.join(root, `beamline-${version}.vsix`);

export async function packageExtension({ quiet = false } = {}) {
  await buildExtension({ production: true });
  try {
    const { buildWebview } = await import("../webview/build.mjs");
    await buildWebview();
  } catch (error) {
    console.warn(`beamline: the visualizer did not build: ${error.message.split("\n")[0]}`);
  }
  for (const f of ["dist/webview/visualizer.js", "dist/webview/visualizer.css"]) {
    if (!existsSync(path.join(root, f))) console.warn(`beamline: ${f} is missing; the visualizer webviews will be empty`);
  }
  const vsce = path.join(root, "node_modules/@vscode/vsce/vsce");
  execFileSync(
    process.execPath,
    [vsce, "package", "--no-dependencies", "--allow-missing-repository", "--skip-license", "--allow-star-activation", "--no-rewrite-relative-links", "--target", target, "-o", out],
    { cwd: root, stdio: quiet ? "pipe" : "inherit" },
  );
  const size = statSync(out).size;
  console.log(`beamline: ${path.relative(root, out)} (${target}) is ${(size / 1024 / 1024).toFixed(2)} MB (${size} bytes)`);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await packageExtension();

// Builds what the VS Code extension runs, with esbuild:
// - dist/extension/extension.js: the extension host bundle (CommonJS, `vscode` external), and
//   runtimeGuard.cjs, preloaded into the runtime child so it ends with its editor;
// - dist/runtime-bundle/: the runtime as self-contained ES modules (cli.js, worker.js, api.js and
//   shared chunks, code splitting: the scheduler thread and the user's program import ONE
//   instance of the runtime API), with esbuild's native binary beside it (the loader compiles
//   user programs with esbuild at run time). Nothing there needs node_modules.
// scripts/build.mjs calls buildExtension(); extension/package.mjs builds with { production: true }.

import { build } from "esbuild";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);

/** ws's optional native helpers: ws works without them (it requires them in a try). */
const OPTIONAL = ["bufferutil", "utf-8-validate"];

// Each runtime module: `require` for the bundled CommonJS packages (esbuild, ws), and esbuild's
// binary found beside the bundle unless the caller says where it is.
const RUNTIME_BANNER = [
  'import { createRequire as __blCreateRequire } from "node:module";',
  "const require = __blCreateRequire(import.meta.url);",
  'if (!process.env.ESBUILD_BINARY_PATH) process.env.ESBUILD_BINARY_PATH = decodeURIComponent(new URL("./esbuild", import.meta.url).pathname);',
].join("\n");

/** The native esbuild binary of this platform, from the installed @esbuild/<platform> package. */
export function esbuildBinary() {
  const pkg = `@esbuild/${process.platform}-${process.arch}`;
  return require.resolve(`${pkg}/bin/esbuild`, { paths: [path.join(root, "node_modules/esbuild")] });
}

export async function buildExtension({ production = false } = {}) {
  const extensionOut = path.join(root, "dist/extension");
  const runtimeOut = path.join(root, "dist/runtime-bundle");
  mkdirSync(extensionOut, { recursive: true });
  mkdirSync(runtimeOut, { recursive: true });
  // Chunk names change with their content: start from an empty folder (the binary may stay).
  for (const f of readdirSync(runtimeOut)) if (f !== "esbuild") rmSync(path.join(runtimeOut, f), { force: true });
  // The top-level package.json says "type": "module"; these folders say what their .js files are.
  writeFileSync(path.join(extensionOut, "package.json"), '{ "type": "commonjs" }\n');
  writeFileSync(path.join(runtimeOut, "package.json"), '{ "type": "module" }\n');
  const common = { bundle: true, platform: "node", target: "node20", logLevel: "warning", legalComments: "none", minify: production };
  await Promise.all([
    build({
      ...common,
      entryPoints: { extension: path.join(root, "extension/extension.ts") },
      outdir: extensionOut,
      format: "cjs",
      external: ["vscode", ...OPTIONAL],
      sourcemap: production ? false : "linked",
    }),
    build({
      ...common,
      entryPoints: [path.join(root, "extension/runtimeGuard.ts")],
      outfile: path.join(extensionOut, "runtimeGuard.cjs"),
      format: "cjs",
    }),
    build({
      ...common,
      entryPoints: { cli: path.join(root, "runtime/cli.ts"), worker: path.join(root, "runtime/worker.ts"), api: path.join(root, "runtime/api.ts") },
      outdir: runtimeOut,
      format: "esm",
      splitting: true,
      // Chunks next to the entries: runtime/layout.ts finds worker.js and api.js with new URL("./…", import.meta.url).
      chunkNames: "chunk-[hash]",
      external: OPTIONAL,
      banner: { js: RUNTIME_BANNER },
      sourcemap: production ? false : "linked",
      // The runtime's API keeps its names: crash reports and stacks mention them.
      minifyIdentifiers: false,
    }),
  ]);
  const binary = esbuildBinary();
  const target = path.join(runtimeOut, "esbuild");
  if (!existsSync(target) || statSync(target).size !== statSync(binary).size) copyFileSync(binary, target);
  // The bundle and the binary must be the same esbuild version (its JS API checks it).
  const version = JSON.parse(readFileSync(path.join(root, "node_modules/esbuild/package.json"), "utf8")).version;
  writeFileSync(path.join(runtimeOut, "esbuild.version"), `${version}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildExtension({ production: process.argv.includes("--production") });

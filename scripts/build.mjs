// Builds the runtime into dist/runtime: one ES module per source file, so that the scheduler
// thread and the user's program share one instance of the runtime API module.

import { build } from "esbuild";
import { readdirSync } from "node:fs";

const runtimeSources = readdirSync("runtime")
  .filter((f) => f.endsWith(".ts"))
  .map((f) => `runtime/${f}`);

await build({
  entryPoints: runtimeSources,
  outdir: "dist/runtime",
  bundle: false,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: "linked",
  logLevel: "warning",
});

// Builds the runtime and the protocol into dist/: one ES module per source file, so that the
// scheduler thread and the user's program share one instance of the runtime API module.

import { build } from "esbuild";
import { readdirSync } from "node:fs";

const sources = ["runtime", "protocol"].flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => `${dir}/${f}`),
);

await build({
  entryPoints: sources,
  outdir: "dist",
  outbase: ".",
  bundle: false,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: "linked",
  logLevel: "warning",
});

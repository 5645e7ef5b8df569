// `npm test`: installs what is missing, builds, type-checks, then runs every test.

import { execSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { ensureDependencies } from "./ensureDependencies.mjs";

const run = (command) => execSync(command, { stdio: "inherit" });

ensureDependencies();
run("node scripts/build.mjs");
run("npx tsc -p tsconfig.json");
const files = readdirSync("test")
  .filter((f) => f.endsWith(".test.ts"))
  .map((f) => `test/${f}`);
run(`node --import tsx --test --test-reporter=spec ${files.join(" ")}`);

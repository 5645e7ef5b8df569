// `npm start`: installs what is missing, builds, and runs a seed example.

import { execSync } from "node:child_process";
import { ensureDependencies } from "./ensureDependencies.mjs";

ensureDependencies();
execSync("node scripts/build.mjs", { stdio: "inherit" });
console.log("$ beamline run examples/calculator.ts\n");
execSync("node dist/runtime/cli.js run examples/calculator.ts", { stdio: "inherit" });

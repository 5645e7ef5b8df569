// Installs the npm packages from package-lock.json when node_modules is missing or stale,
// so that `npm start` and `npm test` work on a fresh clone. Uses only Node's own modules.

import { execSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const stamp = "node_modules/.beamline-lock-hash";

export function ensureDependencies() {
  const hash = createHash("sha256").update(readFileSync("package-lock.json")).digest("hex");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === hash) return;
  console.log("beamline: installing npm packages (npm ci)...");
  execSync("npm ci --no-audit --no-fund", { stdio: "inherit" });
  writeFileSync(stamp, hash);
}

// The VS Code end-to-end tests run the extension inside a real VS Code: code-server 4.100.3 from
// the npm registry (VS Code 1.100.3, the last one that runs on Node 20), installed offline into
// .cache/code-server. Its npm postinstall refuses root and downloads ripgrep from GitHub, so the
// install does by hand what postinstall would, with Debian's ripgrep. Idempotent: a stamp file
// marks a finished install.

import { execSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";

export const CODE_SERVER_VERSION = "4.100.3";
export const CODE_SERVER_DIR = path.resolve(".cache/code-server");
/** The entry point to start code-server with `node`. */
export const CODE_SERVER_ENTRY = path.join(CODE_SERVER_DIR, "node_modules/code-server/out/node/entry.js");
const stamp = path.join(CODE_SERVER_DIR, `.installed-${CODE_SERVER_VERSION}`);

function sh(command, cwd, env = {}) {
  execSync(command, { cwd, stdio: "inherit", env: { ...process.env, ...env } });
}

/** Debian packages the install needs: ripgrep (VS Code's search) and libkrb5-dev (kerberos' native build). */
function ensureAptPackages() {
  const missing = [];
  if (!existsSync("/usr/bin/rg")) missing.push("ripgrep");
  if (!existsSync("/usr/include/krb5.h") && !existsSync("/usr/include/krb5/krb5.h")) missing.push("libkrb5-dev");
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`missing Debian packages: ${missing.join(" ")}; install them with: sudo apt-get install -y ${missing.join(" ")}`);
  console.log(`beamline: installing ${missing.join(", ")} (apt-get)...`);
  sh(`apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq ${missing.join(" ")}`);
}

export async function ensureCodeServer() {
  if (existsSync(stamp) && existsSync(CODE_SERVER_ENTRY)) return CODE_SERVER_ENTRY;
  ensureAptPackages();
  console.log(`beamline: installing code-server ${CODE_SERVER_VERSION} into ${CODE_SERVER_DIR} (a few minutes, once)...`);
  const started = Date.now();
  mkdirSync(CODE_SERVER_DIR, { recursive: true });
  const host = path.join(CODE_SERVER_DIR, "package.json");
  if (!existsSync(host)) writeFileSync(host, JSON.stringify({ name: "beamline-code-server-host", private: true }, null, 2));
  const npmFlags = "--no-audit --no-fund";
  // Native modules build against the installed Node's headers; prebuilt downloads fail offline.
  const native = { npm_config_yes: "true", npm_config_nodedir: "/usr" };
  // 1. code-server itself, without its postinstall; then argon2 (password hashing, native).
  sh(`npm install ${npmFlags} --ignore-scripts code-server@${CODE_SERVER_VERSION}`, CODE_SERVER_DIR);
  sh(`npm rebuild ${npmFlags} argon2`, CODE_SERVER_DIR, native);
  // 2. VS Code's own runtime dependencies, scripts off.
  const vscodeDir = path.join(CODE_SERVER_DIR, "node_modules/code-server/lib/vscode");
  sh(`npm install ${npmFlags} --omit=dev --ignore-scripts`, vscodeDir);
  // 3. ripgrep: Debian's binary where @vscode/ripgrep's postinstall would download one.
  const rgDir = path.join(vscodeDir, "node_modules/@vscode/ripgrep/bin");
  mkdirSync(rgDir, { recursive: true });
  copyFileSync("/usr/bin/rg", path.join(rgDir, "rg"));
  // 4. native modules (node-pty, spdlog, kerberos, ...) against the local Node.
  sh(`npm rebuild ${npmFlags}`, vscodeDir, native);
  // 5. what code-server's postinstall.sh does after that.
  const relink = (dir, name, target) => {
    rmSync(path.join(dir, name), { force: true, recursive: true });
    symlinkSync(target, path.join(dir, name));
  };
  relink(vscodeDir, "node_modules.asar", "node_modules");
  relink(path.join(vscodeDir, "bin/remote-cli"), "code-server", "code-linux.sh");
  relink(path.join(vscodeDir, "bin/helpers"), "browser.sh", "browser-linux.sh");
  sh(`npm install ${npmFlags} --omit=dev`, path.join(vscodeDir, "extensions"));
  const env = { XDG_CONFIG_HOME: path.join(CODE_SERVER_DIR, ".xdg-config"), XDG_DATA_HOME: path.join(CODE_SERVER_DIR, ".xdg-data") };
  sh(`node ${JSON.stringify(CODE_SERVER_ENTRY)} --version`, CODE_SERVER_DIR, env);
  writeFileSync(stamp, new Date().toISOString());
  console.log(`beamline: code-server installed in ${Math.round((Date.now() - started) / 1000)} s`);
  return CODE_SERVER_ENTRY;
}

if (import.meta.url === `file://${process.argv[1]}`) await ensureCodeServer();

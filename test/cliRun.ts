// Running programs through the built CLI, for the tests that take the whole path a user takes:
// programs are written to a temporary folder, so that broken ones stay out of the type-check.

import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { WAIT_DEADLINE_MS } from "./telemetryClient.js";

export const cli = path.resolve("dist/runtime/cli.js");

/** A temporary folder, and a function that writes a program into it and gives its path. */
export function programFolder(prefix: string): { dir: string; program(name: string, source: string): string } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return {
    dir,
    program(name, source) {
      const file = path.join(dir, name);
      writeFileSync(file, source);
      return file;
    },
  };
}

/** Runs `beamline ...args` to its end. */
export function beamline(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: WAIT_DEADLINE_MS });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

// How a crash reads: `<0.84.0> crashed: Error: reason` and the user's own stack frames.

import { inspect } from "node:util";
import { fileURLToPath } from "node:url";
import path from "node:path";

const runtimeDir = path.dirname(fileURLToPath(import.meta.url));

/** The reason as text: an Error's source-mapped stack without the runtime's own frames, or the value. */
export function formatReason(reason: unknown): string {
  if (reason instanceof Error && typeof reason.stack === "string") {
    return reason.stack
      .split("\n")
      .filter((line) => !line.includes(runtimeDir) && !line.includes("node:internal") && !/^\s+at \S*\.?next \(<anonymous>\)/.test(line))
      .join("\n");
  }
  return inspect(reason, { depth: 6, breakLength: 120 });
}

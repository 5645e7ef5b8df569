// How a crash reads: `<0.84.0> crashed: Error: reason` and the user's own stack frames.

import { inspect } from "node:util";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { runtimeDir } from "../layout.js";

/** `file:line:col` of the innermost user frame of a stack, relative to the working directory. */
export function userFrame(stack: string): string | undefined {
  for (const line of stack.split("\n").slice(1)) {
    if (line.includes(runtimeDir) || line.includes("node:internal")) continue;
    const at = /\(?([^\s()]+):(\d+):(\d+)\)?$/.exec(line.trim());
    if (at === null) continue;
    const file = at[1]!.startsWith("file://") ? fileURLToPath(at[1]!) : at[1]!;
    return `${path.relative(process.cwd(), file)}:${at[2]}:${at[3]}`;
  }
  return undefined;
}

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

// Exit reasons are terms (docs/api.md, "Links, monitors and exit signals"): they travel in EXIT and
// DOWN messages and are shown by the inspector, so a crash's Error becomes a plain, sendable
// CrashReason that keeps its name, message, source-mapped stack and the user's line.

import { fileURLToPath } from "node:url";
import path from "node:path";
import { inspect } from "node:util";
import { runtimeDir } from "../layout.js";
import { copyTerm } from "./copy.js";

/** The exit reason of a process that threw: plain data, so that it can be sent and matched. */
export interface CrashReason {
  /** The Error's name ("TypeError", "CallExitError", ...), or "throw" for a thrown non-Error. */
  error: string;
  message: string;
  /** The source-mapped stack without the runtime's own frames ("" for a thrown non-Error). */
  stack: string;
  /** `file:line:col` of the innermost user frame, relative to the working directory ("" when unknown). */
  at: string;
}

/** Whether a reason is a crash (a CrashReason) rather than a reason a program chose. */
export function isCrashReason(reason: unknown): reason is CrashReason {
  if (typeof reason !== "object" || reason === null || Array.isArray(reason)) return false;
  const r = reason as Record<string, unknown>;
  return typeof r.error === "string" && typeof r.message === "string" && typeof r.stack === "string" && typeof r.at === "string";
}

/**
 * The exit reason of a process that threw `thrown`: an Error becomes a CrashReason; a thrown term
 * is its own reason (like Erlang's `throw`); a value that cannot be sent becomes a CrashReason
 * describing it.
 */
export function crashReason(thrown: unknown): unknown {
  if (thrown instanceof Error) {
    const stack = typeof thrown.stack === "string" ? userStack(thrown.stack) : `${thrown.name}: ${thrown.message}`;
    return { error: thrown.name, message: thrown.message, stack, at: userFrame(stack) ?? "" } satisfies CrashReason;
  }
  try {
    return copyTerm(thrown, "reason");
  } catch {
    return { error: "throw", message: inspect(thrown, { depth: 2 }), stack: "", at: "" } satisfies CrashReason;
  }
}

/** Thrown by `exit(reason)` in the process that ends itself; it unwinds the generator, so finally blocks run. */
export class ProcessExit {
  constructor(readonly reason: unknown) {}
}

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

/** A stack without the runtime's own frames and generator plumbing: what the user wrote. */
export function userStack(stack: string): string {
  return stack
    .split("\n")
    .filter((line) => !line.includes(runtimeDir) && !line.includes("node:internal") && !/^\s+at \S*\.?next \(<anonymous>\)/.test(line))
    .join("\n");
}

/** A crash as one short line, `TypeError: message`; undefined for a reason that is not a crash. */
export function crashLine(reason: unknown): string | undefined {
  return isCrashReason(reason) ? `${reason.error}: ${reason.message}` : undefined;
}

/** The reason as text: a crash as its stack, an Error as its user stack, any other term inspected. */
export function formatReason(reason: unknown): string {
  if (isCrashReason(reason)) return reason.stack !== "" ? reason.stack : `${reason.error}: ${reason.message}`;
  if (reason instanceof Error && typeof reason.stack === "string") return userStack(reason.stack);
  return inspect(reason, { depth: 6, breakLength: 120 });
}

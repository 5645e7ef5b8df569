// Child specs and supervisor options: their types, OTP's defaults for what is left out, and the
// checks that refuse a bad spec with an error naming the field (docs/api.md, "Supervisors").

import { preview } from "../core/receive.js";

export type Strategy = "one_for_one" | "one_for_all" | "rest_for_one";
export type RestartType = "permanent" | "transient" | "temporary";
/** Milliseconds to wait after exit(child, "shutdown") before killing it, or kill at once, or wait forever. */
export type Shutdown = number | "brutal_kill" | "infinity";
export type ChildType = "worker" | "supervisor";
/**
 * How a child starts: a process function (function*) that the supervisor spawns linked to itself,
 * or a plain function, called in the supervisor, that starts a process and returns its pid (or
 * `"ignore"`), or an iterable to `yield*` that does (startServerLink, startSupervisor, ...).
 */
export type StartFunction = readonly [fn: (...args: any[]) => unknown, ...args: unknown[]];

export interface ChildSpec {
  /** Unique among the supervisor's children. */
  id: string;
  start: StartFunction;
  /** Default "permanent". */
  restart?: RestartType;
  /** Default 5000 for a worker, "infinity" for a supervisor. */
  shutdown?: Shutdown;
  /** Default "worker". */
  type?: ChildType;
}

export interface SupervisorOptions {
  /** Default "one_for_one". */
  strategy?: Strategy;
  /** More than `intensity` restarts within `period` ms make the supervisor give up. Default 1. */
  intensity?: number;
  /** Default 5000 ms. */
  period?: number;
  /** Started in order, stopped in reverse order. */
  children?: readonly ChildSpec[];
  /** Shown as the supervisor's function in the visualizer. */
  name?: string;
}

/** A child spec with every field filled in. */
export interface FullChildSpec {
  id: string;
  start: StartFunction;
  restart: RestartType;
  shutdown: Shutdown;
  type: ChildType;
}

const STRATEGIES: readonly Strategy[] = ["one_for_one", "one_for_all", "rest_for_one"];
const RESTARTS: readonly RestartType[] = ["permanent", "transient", "temporary"];
const TYPES: readonly ChildType[] = ["worker", "supervisor"];

/** A spec's fields with OTP's defaults, or a TypeError that says which field is wrong and why. */
export function fullChildSpec(where: string, spec: unknown, needsId = true): FullChildSpec {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
    throw new TypeError(`${where}: a child spec must be an object { id, start: [fn, ...args], restart?, shutdown?, type? }, got ${preview(spec)}`);
  }
  const s = spec as Record<string, unknown>;
  if (needsId && (typeof s.id !== "string" || s.id === "")) throw new TypeError(`${where}: the child spec's id must be a non-empty string, got ${preview(s.id)}`);
  const id = needsId ? (s.id as string) : "";
  const at = needsId ? `${where}: child "${id}"` : where;
  if (!Array.isArray(s.start) || typeof s.start[0] !== "function") {
    throw new TypeError(`${at}: start must be [fn, ...args] with a function first, got ${preview(s.start)}`);
  }
  const type = s.type ?? "worker";
  if (!TYPES.includes(type as ChildType)) throw new TypeError(`${at}: type must be "worker" or "supervisor", got ${preview(type)}`);
  const restart = s.restart ?? "permanent";
  if (!RESTARTS.includes(restart as RestartType)) {
    throw new TypeError(`${at}: restart must be "permanent", "transient" or "temporary", got ${preview(restart)}`);
  }
  const shutdown = s.shutdown ?? (type === "supervisor" ? "infinity" : 5000);
  if (!(shutdown === "brutal_kill" || shutdown === "infinity" || (typeof shutdown === "number" && Number.isInteger(shutdown) && shutdown >= 0))) {
    throw new TypeError(`${at}: shutdown must be a whole number of milliseconds >= 0, "brutal_kill" or "infinity", got ${preview(shutdown)}`);
  }
  return { id, start: [...(s.start as unknown[])] as unknown as StartFunction, restart: restart as RestartType, shutdown: shutdown as Shutdown, type: type as ChildType };
}

/** The restart limits, checked: intensity a whole number >= 0, period a number of ms > 0. */
export function restartLimits(where: string, options: { intensity?: unknown; period?: unknown }): { intensity: number; period: number } {
  const intensity = options.intensity ?? 1;
  if (typeof intensity !== "number" || !Number.isInteger(intensity) || intensity < 0) {
    throw new TypeError(`${where}: intensity must be a whole number >= 0 (restarts allowed within period), got ${preview(intensity)}`);
  }
  const period = options.period ?? 5000;
  if (typeof period !== "number" || !(period > 0)) throw new TypeError(`${where}: period must be a number of milliseconds > 0, got ${preview(period)}`);
  return { intensity, period };
}

export function checkStrategy(where: string, strategy: unknown): Strategy {
  const s = strategy ?? "one_for_one";
  if (!STRATEGIES.includes(s as Strategy)) throw new TypeError(`${where}: strategy must be "one_for_one", "one_for_all" or "rest_for_one", got ${preview(s)}`);
  return s as Strategy;
}

/**
 * Whether a child that ended with `reason` is restarted: a permanent one always, a transient one
 * unless it ended with "normal", "shutdown" or ["shutdown", term], a temporary one never (OTP).
 */
export function needsRestart(restart: RestartType, reason: unknown): boolean {
  if (restart === "permanent") return true;
  if (restart === "temporary") return false;
  return !(reason === "normal" || reason === "shutdown" || (Array.isArray(reason) && reason.length === 2 && reason[0] === "shutdown"));
}

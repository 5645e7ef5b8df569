// How numbers, sizes, durations and pids are written on screen.

import { formatPid } from "../protocol/control.js";

const grouped = new Intl.NumberFormat("en-US");

export function count(n: number): string {
  return grouped.format(Math.round(n));
}

/** "1 process", "2 processes": a count with its noun, in the plural unless the count is one. */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${count(n)} ${Math.round(n) === 1 ? singular : plural}`;
}

/** Short form for narrow places: 1.2k, 3.4M. */
export function compact(n: number): string {
  const a = Math.abs(n);
  if (a < 10_000) return count(n);
  if (a < 1e6) return `${(n / 1e3).toFixed(a < 1e5 ? 1 : 0)}k`;
  if (a < 1e9) return `${(n / 1e6).toFixed(a < 1e7 ? 2 : 1)}M`;
  return `${(n / 1e9).toFixed(2)}G`;
}

export function rate(perSecond: number): string {
  return `${compact(perSecond)}/s`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function percent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

/** A pid as the protocol writes it (one formatter for every part of Beamline). */
export const pid = formatPid;

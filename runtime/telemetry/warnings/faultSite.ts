// Where a fault warning points: the line that threw, else the spawn site.

import type { SourcePosition } from "../../../protocol/control.js";

export function faultSite(at: SourcePosition | null, spawnSite: number, siteName: (id: number) => string): string {
  return at !== null ? `${at.file}:${at.line}` : siteName(spawnSite);
}

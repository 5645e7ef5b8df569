// Counts as the extension writes them in lenses, the status bar and its tooltip.

/** "1 process", "1,200 processes": a count with its noun, in the plural unless the count is one. */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? singular : plural}`;
}

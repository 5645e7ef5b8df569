// Synchronous output for scheduler threads. A worker's own process.stdout is forwarded to the main
// thread asynchronously, so lines could arrive out of order or be lost when the run ends; writing to
// the file descriptors directly keeps every line, in order.

import { writeSync } from "node:fs";
import { formatWithOptions } from "node:util";

export function writeLine(fd: 1 | 2, text: string): void {
  const data = Buffer.from(`${text}\n`);
  let offset = 0;
  while (offset < data.length) {
    try {
      offset += writeSync(fd, data, offset);
    } catch (error) {
      // A non-blocking pipe that is full: wait a moment for the reader.
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

/** Points console.* of this thread at writeLine. */
export function useSynchronousConsole(): void {
  const colors = false;
  const out = (...args: unknown[]) => writeLine(1, formatWithOptions({ colors }, ...args));
  const err = (...args: unknown[]) => writeLine(2, formatWithOptions({ colors }, ...args));
  console.log = out;
  console.info = out;
  console.debug = out;
  console.warn = err;
  console.error = err;
}

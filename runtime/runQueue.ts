// A FIFO run queue as a growable ring buffer: push and shift are O(1) with no per-item allocation.

import type { Process } from "./process.js";

export class RunQueue {
  private items: (Process | undefined)[] = new Array(1024);
  private start = 0;
  length = 0;

  push(p: Process): void {
    if (this.length === this.items.length) this.grow();
    this.items[(this.start + this.length) & (this.items.length - 1)] = p;
    this.length++;
  }

  shift(): Process | undefined {
    if (this.length === 0) return undefined;
    const p = this.items[this.start];
    this.items[this.start] = undefined;
    this.start = (this.start + 1) & (this.items.length - 1);
    this.length--;
    return p;
  }

  private grow(): void {
    const old = this.items;
    const next: (Process | undefined)[] = new Array(old.length * 2);
    for (let i = 0; i < this.length; i++) next[i] = old[(this.start + i) & (old.length - 1)];
    this.items = next;
    this.start = 0;
  }
}

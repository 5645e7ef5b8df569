// A ClientConnection for the hubs' tests: it keeps what it was sent. Its unsent bytes
// (`bufferedAmount`) are what the test sets, and with `countsSent` they also grow with each send, as
// a socket nobody reads would, so that flow control (docs/protocol.md, section 6) can be tested.

import { decodeFrame } from "../protocol/frames.js";
import type { ClientConnection } from "../runtime/telemetry/telemetryHub.js";

export class FakeConnection implements ClientConnection {
  readonly sent: (string | ArrayBuffer)[] = [];
  bufferedAmount = 0;
  paused = false;
  closed: { code: number; reason: string } | undefined;

  constructor(private readonly options: { countsSent?: boolean } = {}) {}

  send(data: string | ArrayBuffer): void {
    this.sent.push(data);
    if (this.options.countsSent === true) this.bufferedAmount += typeof data === "string" ? data.length : data.byteLength;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  close(code: number, reason: string): void {
    this.closed = { code, reason };
  }

  /** The JSON messages sent of one type, oldest first. */
  texts<T = { type: string }>(type: string): T[] {
    return this.sent.filter((d): d is string => typeof d === "string").map((d) => JSON.parse(d) as { type: string }).filter((m) => m.type === type) as T[];
  }

  /** The binary frames sent, decoded, oldest first. */
  frames() {
    return this.sent.filter((d): d is ArrayBuffer => d instanceof ArrayBuffer).map((d) => decodeFrame(d));
  }

  /** Everything sent, JSON parsed and frames decoded, oldest first. */
  messages(): ({ type: string } & Record<string, unknown>)[] {
    return this.sent.map((d) => (typeof d === "string" ? JSON.parse(d) : decodeFrame(d)) as { type: string } & Record<string, unknown>);
  }
}

// `beamline replay FILE`: reads a recording file and serves the visualizer on it, with no program
// (docs/protocol.md, section 13), on the same server as a live run: 127.0.0.1, a token, the Origin
// check. It runs until stopped (Ctrl-C).

import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { decodeRecording, RecordingError, type DecodedRecording } from "../../protocol/recordingFile.js";
import { telemetryLine } from "../../protocol/telemetryLine.js";
import { ReplayHub } from "../telemetry/replayHub.js";
import { startTelemetryServer } from "../telemetry/telemetryServer.js";
import { writeLine } from "./output.js";

export interface ReplayOptions {
  file: string;
  /** The port to serve on; 0: a free one. */
  port: number;
  token: string | undefined;
}

/** A recording that cannot be replayed: the message says what and where (not which file); the CLI exits with 2. */
export class ReplayInputError extends Error {}

/** Reads and checks the whole file; throws ReplayInputError saying what is wrong with it. */
export function readRecording(file: string): DecodedRecording {
  let data: Buffer;
  try {
    if (statSync(file).isDirectory()) throw new ReplayInputError("it is a folder, not a recording file");
    data = readFileSync(file);
  } catch (error) {
    if (error instanceof ReplayInputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new ReplayInputError("no such file");
    if (code === "EACCES") throw new ReplayInputError("this user may not read it");
    throw new ReplayInputError(`it cannot be read (${(error as Error).message})`);
  }
  try {
    return decodeRecording(data);
  } catch (error) {
    if (error instanceof RecordingError) throw new ReplayInputError(error.message);
    throw error;
  }
}

/** Serves the recording until a stop signal; resolves with the exit code. */
export async function replay(options: ReplayOptions): Promise<number> {
  const hub = new ReplayHub(readRecording(options.file), options.file);
  const token = options.token ?? randomBytes(18).toString("base64url");
  let server;
  try {
    server = await startTelemetryServer(hub, options.port, token);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EADDRINUSE" && code !== "EACCES") throw error;
    writeLine(2, `beamline: --port ${options.port}: ${code === "EADDRINUSE" ? "that port on 127.0.0.1 is in use" : "this user may not listen on that port"}; give another, or none for a free one`);
    return 2;
  }
  writeLine(1, telemetryLine(server.port, token));
  const { samples, keyframes, events, endedWarnings, mainExited } = hub.summary;
  writeLine(2, `beamline: replaying ${options.file}: ${samples} samples, ${keyframes} ${keyframes === 1 ? "keyframe" : "keyframes"} of the process table, ${events} trace ${events === 1 ? "event" : "events"}, ${endedWarnings} past warnings${mainExited ? ", main's end" : ""}; Ctrl-C stops`);
  await new Promise<void>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(signal, () => resolve());
  });
  await server.close();
  return 0;
}

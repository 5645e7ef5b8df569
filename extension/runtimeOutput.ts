// What the runtime prints that the extension reads on stderr: syntax errors
// (`file:line:col: error: message`), which come before the runtime serves telemetry (crashes come
// as structured messages on its faults channel instead); and the addresses a user gives to attach. The telemetry line on
// stdout is part of the wire contract (protocol/telemetryLine.ts). Pure functions: no vscode, no I/O.

/** The WebSocket address of a runtime's telemetry (the token goes separately). */
export function webSocketUrl(port: number, host = "127.0.0.1"): string {
  return `ws://${host}:${port}/ws`;
}

/** Splits a standalone page URL (`http://host:port/?token=T`) or a `ws://host:port/ws?token=T` into its parts. */
export function parseAttachUrl(text: string, token?: string): { host: string; port: number; token: string } | undefined {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return undefined;
  }
  if (!["http:", "https:", "ws:", "wss:"].includes(url.protocol)) return undefined;
  const port = Number(url.port || (url.protocol === "https:" || url.protocol === "wss:" ? 443 : 80));
  const t = token?.trim() || url.searchParams.get("token") || "";
  if (t === "" || !Number.isInteger(port)) return undefined;
  return { host: url.hostname, port, token: t };
}

export interface SourceProblem {
  /** As printed: absolute or relative to the runtime's working directory. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  message: string;
}

const LOAD_ERROR = /^(.+?):(\d+):(\d+): error: (.*)$/;

/** The syntax (load) errors in the runtime's stderr. */
export function parseLoadErrors(stderr: string): SourceProblem[] {
  const out: SourceProblem[] = [];
  for (const line of stderr.split(/\r?\n/)) {
    const m = LOAD_ERROR.exec(line);
    if (m) out.push({ file: m[1]!, line: Number(m[2]), column: Number(m[3]), message: m[4]! });
  }
  return out;
}

/** A short, human reason for an exit: "exited with code 1", "killed by SIGKILL". */
export function describeExit(code: number | null, signal: string | null): string {
  if (signal) return `killed by ${signal}`;
  if (code === 0) return "exited normally";
  const meaning = EXIT_MEANINGS[code ?? -1];
  return meaning === undefined ? `exited with code ${code}` : `${meaning} (exit code ${code})`;
}

/** The runtime's exit codes that say more than a number, read after "the runtime" (docs/api.md, "How a run ends"). */
const EXIT_MEANINGS: Record<number, string> = {
  2: "refused its command line",
  129: "was stopped by SIGHUP",
  130: "was stopped by SIGINT",
  137: "ended because main was killed",
  143: "was stopped by SIGTERM",
};

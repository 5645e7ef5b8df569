// The one stdout line that tells a parent process where a runtime serves telemetry:
// `BEAMLINE_TELEMETRY {"port":…,"token":…,"url":"http://127.0.0.1:…/?token=…"}` (docs/protocol.md,
// section 1). The runtime writes it with `telemetryLine`; the extension, `npm start`, the tests
// and the benchmarks read it with `parseTelemetryLine`.

export interface TelemetryEndpoint {
  port: number;
  token: string;
  /** The standalone visualizer page, `http://127.0.0.1:PORT/?token=T`. */
  url: string;
}

export const TELEMETRY_LINE_PREFIX = "BEAMLINE_TELEMETRY ";

/** The line (without its newline) for a server on 127.0.0.1:port. */
export function telemetryLine(port: number, token: string): string {
  const endpoint: TelemetryEndpoint = { port, token, url: `http://127.0.0.1:${port}/?token=${token}` };
  return TELEMETRY_LINE_PREFIX + JSON.stringify(endpoint);
}

/** Reads one stdout line; undefined unless it is a well-formed telemetry line. */
export function parseTelemetryLine(line: string): TelemetryEndpoint | undefined {
  const text = line.replace(/\r?\n$/, "");
  if (!text.startsWith(TELEMETRY_LINE_PREFIX)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text.slice(TELEMETRY_LINE_PREFIX.length));
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.port !== "number" || !Number.isInteger(v.port) || v.port < 1 || v.port > 65535) return undefined;
  if (typeof v.token !== "string" || v.token.length === 0) return undefined;
  const url = typeof v.url === "string" ? v.url : `http://127.0.0.1:${v.port}/?token=${v.token}`;
  return { port: v.port, token: v.token, url };
}

/** The endpoint of the first telemetry line in `text` (a child's stdout so far), if a whole one has come. */
export function findTelemetryLine(text: string): TelemetryEndpoint | undefined {
  for (const line of text.split("\n").slice(0, -1)) {
    const endpoint = parseTelemetryLine(line);
    if (endpoint !== undefined) return endpoint;
  }
  return undefined;
}

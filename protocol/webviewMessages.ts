// Messages between the VS Code extension host and the visualizer webview (postMessage).
// In a plain browser there is no extension: the page connects with the URL and token it was
// opened with, and the webview's outgoing messages have no receiver.

/** Which part of the visualizer a host shows: the narrow side panel or the full editor panel. */
export type VisualizerLayout = "overview" | "full";

export type VisualizerTab = "overview" | "schedulers" | "processes" | "inspector" | "supervision" | "messages" | "warnings";

/** From the extension to the webview. */
export type ToWebview =
  /** Connect (or reconnect) to a runtime's telemetry WebSocket, presenting `token` (in VS Code, the relay's secret). */
  | { type: "connect"; url: string; token: string }
  /** The runtime stopped or crashed: keep the last state on screen and say so. */
  | { type: "runtime-stopped"; reason: string }
  | { type: "show"; tab: VisualizerTab }
  /** Open the inspector on a process. */
  | { type: "inspect"; pid: string }
  /** Show the processes of one site (a code lens click), or all again with null. */
  | { type: "filter-site"; site: number | null };

/** From the webview to the extension. */
export type FromWebview =
  /** The webview has loaded; `origin` is its `location.origin`, the Origin its WebSocket sends. */
  | { type: "ready"; origin: string }
  /** Open a source line, e.g. a site or a warning's line (`file` relative to the runtime's working directory). */
  | { type: "open-source"; file: string; line: number }
  /** The side panel's "open the full visualizer" action, optionally on a process. */
  | { type: "open-visualizer"; pid?: string }
  | { type: "command"; command: "run" | "stop" | "restart" };

// Where the visualizer runs: a VS Code webview (messages to and from the extension, state kept by
// VS Code) or the runtime's standalone page (connect from the page's own URL, nothing to post to).

import type { FromWebview, ToWebview } from "../protocol/webviewMessages.js";

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export interface Host {
  readonly kind: "vscode" | "browser";
  post(message: FromWebview): void;
  /** Calls `handler` for every message from the extension (never, in a browser). */
  listen(handler: (message: ToWebview) => void): void;
  loadState<T extends object>(): Partial<T>;
  saveState(state: object): void;
}

const TO_WEBVIEW_TYPES: ReadonlySet<string> = new Set<ToWebview["type"]>(["connect", "runtime-stopped", "show", "inspect", "filter-site"]);

function isToWebview(data: unknown): data is ToWebview {
  return typeof data === "object" && data !== null && TO_WEBVIEW_TYPES.has((data as { type?: unknown }).type as string);
}

export function detectHost(): Host {
  if (typeof acquireVsCodeApi === "function") {
    const api = acquireVsCodeApi();
    return {
      kind: "vscode",
      post: (message) => api.postMessage(message),
      listen: (handler) =>
        window.addEventListener("message", (event: MessageEvent) => {
          if (isToWebview(event.data)) handler(event.data);
        }),
      loadState: <T extends object>() => (api.getState() ?? {}) as Partial<T>,
      saveState: (state) => api.setState(state),
    };
  }
  return {
    kind: "browser",
    // No extension to receive them: opening a source line is not possible from a plain page.
    post: () => undefined,
    listen: () => undefined,
    loadState: <T extends object>() => readSessionState<T>(),
    saveState: (state) => {
      try {
        sessionStorage.setItem("beamline-ui", JSON.stringify(state));
      } catch {
        // Storage may be disabled; the UI state is a convenience only.
      }
    },
  };
}

function readSessionState<T extends object>(): Partial<T> {
  try {
    return JSON.parse(sessionStorage.getItem("beamline-ui") ?? "{}") as Partial<T>;
  } catch {
    return {};
  }
}

/** The standalone page's runtime: the same host and port that served it, the token from its URL. */
export function standaloneTarget(): { url: string; token: string } | undefined {
  const token = new URLSearchParams(location.search).get("token");
  if (token === null || token === "") return undefined;
  return { url: `ws://${location.host}/ws`, token };
}

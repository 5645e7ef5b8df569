// What the views may use: the model to read, and the app's actions. Views import only this type.

import { formatPid } from "../protocol/control.js";
import type { VisualizerLayout, VisualizerTab } from "../protocol/webviewMessages.js";
import type { Connection } from "./connection.js";
import type { Model } from "./model.js";
import type { PastProcesses } from "./pastProcesses.js";
import type { TimeCursor } from "./timeCursor.js";

export interface Ui {
  readonly model: Model;
  /** The moment the views show (live or a moment of the past) and the charts' zoom. */
  readonly time: TimeCursor;
  /** The process table at the moment shown, while it is in the past (from the recording, `seek`). */
  readonly past: PastProcesses;
  readonly connection: Connection;
  readonly layout: VisualizerLayout;
  /** True in VS Code, where source lines can be opened. */
  readonly canOpenSource: boolean;
  inspect(pid: number): void;
  show(tab: VisualizerTab): void;
  /** Opens `file:line` in the editor (VS Code only). */
  openSource(fileLine: string): void;
  openVisualizer(pid?: number): void;
  /** Remembers a view's UI state across reloads (vscode.setState or the session). */
  saveState(): void;
}

export interface View {
  readonly element: HTMLElement;
  /** Called every animation frame while the view is shown; redraws only what changed. */
  render(now: number): void;
  /** The view's part of the persisted UI state. */
  state?(): object;
}

/** A link-like button to a source line; a plain label where nothing can open it. */
export function sourceLink(ui: Ui, fileLine: string, label = fileLine): HTMLElement {
  if (!ui.canOpenSource || fileLine === "") {
    const span = document.createElement("span");
    span.className = "source";
    span.textContent = label || "—";
    span.title = fileLine ? `Source line ${fileLine}` : "No source line";
    return span;
  }
  const b = document.createElement("button");
  b.className = "link source";
  b.textContent = label;
  b.title = `Open ${fileLine} in the editor`;
  b.addEventListener("click", () => ui.openSource(fileLine));
  return b;
}

/** A button that opens the inspector on a process. */
export function pidLink(ui: Ui, pid: number, label: string): HTMLButtonElement {
  const b = document.createElement("button");
  b.className = "link pid";
  b.textContent = label;
  b.title = `Inspect ${formatPid(pid)}`;
  b.addEventListener("click", () => (ui.layout === "overview" ? ui.openVisualizer(pid) : ui.inspect(pid)));
  return b;
}

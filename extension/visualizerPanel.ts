// The editor panel: the full visualizer in a WebviewPanel. One at a time; restored after a reload
// by its WebviewPanelSerializer.

import * as vscode from "vscode";
import type { ToWebview } from "../protocol/webviewMessages.js";
import type { SessionManager } from "./sessionManager.js";
import { WebviewHost } from "./webviewHost.js";

export class VisualizerPanel implements vscode.Disposable {
  static readonly viewType = "beamline.visualizer";
  static current: VisualizerPanel | undefined;

  private readonly host: WebviewHost;

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    manager: SessionManager,
  ) {
    this.host = new WebviewHost(panel.webview, "full", extensionUri, manager);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, "media", "beamline.svg");
    panel.onDidDispose(() => this.dispose());
  }

  /** Shows the panel (creating it when needed) and posts the given messages to it. */
  static show(extensionUri: vscode.Uri, manager: SessionManager, ...messages: ToWebview[]): VisualizerPanel {
    let current = VisualizerPanel.current;
    if (current) current.panel.reveal(undefined, false);
    else {
      const panel = vscode.window.createWebviewPanel(
        VisualizerPanel.viewType,
        "Beamline",
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
        WebviewHost.options(extensionUri, manager.live?.relayPort),
      );
      current = new VisualizerPanel(panel, extensionUri, manager);
      VisualizerPanel.current = current;
    }
    for (const m of messages) current.host.post(m);
    return current;
  }

  static serializer(extensionUri: vscode.Uri, manager: SessionManager): vscode.WebviewPanelSerializer {
    return {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel) {
        VisualizerPanel.current?.dispose();
        VisualizerPanel.current = new VisualizerPanel(panel, extensionUri, manager);
      },
    };
  }

  private disposed = false;

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (VisualizerPanel.current === this) VisualizerPanel.current = undefined;
    this.host.dispose();
    this.panel.dispose();
  }
}

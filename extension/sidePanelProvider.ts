// The side panel: a WebviewView in the activity bar container "Beamline", showing the
// visualizer's overview layout. VS Code resolves it again after a reload.

import * as vscode from "vscode";
import type { ToWebview } from "../protocol/webviewMessages.js";
import type { SessionManager } from "./sessionManager.js";
import { WebviewHost } from "./webviewHost.js";

export class SidePanelProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewType = "beamline.overview";

  private host: WebviewHost | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly manager: SessionManager,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.host?.dispose();
    const host = new WebviewHost(view.webview, "overview", this.extensionUri, this.manager);
    this.host = host;
    view.onDidDispose(() => {
      host.dispose();
      if (this.host === host) this.host = undefined;
    });
  }

  post(message: ToWebview): void {
    this.host?.post(message);
  }

  dispose(): void {
    this.host?.dispose();
  }
}

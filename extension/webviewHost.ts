// One visualizer webview (the side panel's or the editor panel's): sets its HTML for the current
// runtime (CSP connect-src and portMapping follow the relay's port), hands it the relay's URL and
// secret when it says "ready", queues messages until then, and handles what it asks for.

import * as vscode from "vscode";
import type { FromWebview, ToWebview, VisualizerLayout } from "../protocol/webviewMessages.js";
import type { SessionManager } from "./sessionManager.js";
import { visualizerHtml } from "./webviewHtml.js";

export class WebviewHost implements vscode.Disposable {
  private ready = false;
  private queue: ToWebview[] = [];
  private generation: number | undefined | null = null;
  private stoppedSent = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly webview: vscode.Webview,
    private readonly layout: VisualizerLayout,
    private readonly extensionUri: vscode.Uri,
    private readonly manager: SessionManager,
  ) {
    this.disposables.push(
      webview.onDidReceiveMessage((m: FromWebview) => this.onMessage(m)),
      manager.onDidChange(() => this.update()),
    );
    this.update();
  }

  static webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
    return vscode.Uri.joinPath(extensionUri, "dist", "webview");
  }

  static options(extensionUri: vscode.Uri, port: number | undefined): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      localResourceRoots: [WebviewHost.webviewRoot(extensionUri)],
      portMapping: port === undefined ? [] : [{ webviewPort: port, extensionHostPort: port }],
      retainContextWhenHidden: true,
    };
  }

  /** Posts now when the webview is ready, else after its "ready". */
  post(message: ToWebview): void {
    if (this.ready) void this.webview.postMessage(message);
    else this.queue.push(message);
  }

  /** Follows the manager's state: new HTML when the runtime's port changes, "runtime-stopped" when it ends. */
  private update(): void {
    const live = this.manager.live;
    const port = live?.relayPort;
    // A new runtime gets fresh HTML (its port in the CSP); a stopped one leaves the last state on screen.
    if ((live !== undefined && live.generation !== this.generation) || this.generation === null) {
      this.generation = live?.generation;
      this.stoppedSent = false;
      this.ready = false;
      this.webview.options = WebviewHost.options(this.extensionUri, port);
      const root = WebviewHost.webviewRoot(this.extensionUri);
      this.webview.html = visualizerHtml({
        cspSource: this.webview.cspSource,
        scriptUri: this.webview.asWebviewUri(vscode.Uri.joinPath(root, "visualizer.js")).toString(),
        styleUri: this.webview.asWebviewUri(vscode.Uri.joinPath(root, "visualizer.css")).toString(),
        layout: this.layout,
        port,
      });
    } else if (!live && this.manager.lastExitReason && !this.stoppedSent) {
      this.stoppedSent = true;
      this.post({ type: "runtime-stopped", reason: this.manager.lastExitReason });
    }
  }

  private onMessage(message: FromWebview): void {
    switch (message.type) {
      case "ready": {
        this.ready = true;
        // Before it is told where to connect: the relay admits the webview's origin from then on.
        this.manager.addWebviewOrigin(message.origin);
        const live = this.manager.live;
        // The relay's secret, not the run's token: the webview connects only to the relay.
        if (live) void this.webview.postMessage({ type: "connect", url: live.relayUrl, token: live.relaySecret } satisfies ToWebview);
        else if (this.manager.lastExitReason) void this.webview.postMessage({ type: "runtime-stopped", reason: this.manager.lastExitReason } satisfies ToWebview);
        for (const m of this.queue.splice(0)) void this.webview.postMessage(m);
        break;
      }
      case "open-source":
        void this.manager.openSource(message.file, message.line);
        break;
      case "open-visualizer":
        void vscode.commands.executeCommand("beamline.openVisualizer", message.pid);
        break;
      case "command":
        void vscode.commands.executeCommand(
          message.command === "run" ? "beamline.runCurrentFile" : message.command === "stop" ? "beamline.stop" : "beamline.restart",
        );
        break;
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

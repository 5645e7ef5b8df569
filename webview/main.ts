// The visualizer's entry: mounts on #beamline, in a VS Code webview (wait for the extension's
// "connect") or in the runtime's standalone page (connect to the page's own host with its token).

import type { VisualizerLayout } from "../protocol/webviewMessages.js";
import { App } from "./app.js";
import { detectHost, standaloneTarget } from "./host.js";
import { registerToolkit } from "./toolkit.js";
import "./styles.css";

function start(): void {
  const root = document.getElementById("beamline");
  if (root === null) return;
  const host = detectHost();
  if (host.kind === "browser") {
    // VS Code sets theme classes on <body>; the browser page picks dark or light from the system.
    const light = window.matchMedia("(prefers-color-scheme: light)");
    const apply = () => {
      document.body.classList.toggle("vscode-light", light.matches);
      document.body.classList.toggle("vscode-dark", !light.matches);
    };
    apply();
    light.addEventListener("change", apply);
    document.body.classList.add("standalone");
  }
  registerToolkit();
  const layout: VisualizerLayout = host.kind === "browser" ? "full" : root.dataset.layout === "overview" ? "overview" : "full";
  const app = new App(root, layout, host);
  if (host.kind === "browser") {
    const target = standaloneTarget();
    if (target === undefined) app.connection.stop("no token in the page's URL: open the URL that `beamline run --telemetry` printed");
    else app.connection.connect(target.url, target.token);
  } else {
    host.post({ type: "ready", origin: location.origin });
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();

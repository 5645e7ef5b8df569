// The HTML of the visualizer webviews (side panel and editor panel): the bundle's script and
// stylesheet, a CSP with a nonce, and a WebSocket allowed only to the runtime's port. Pure: the
// callers pass in what they got from vscode (cspSource, asWebviewUri).

import { randomBytes } from "node:crypto";
import type { VisualizerLayout } from "../protocol/webviewMessages.js";

export interface WebviewHtmlInput {
  /** `webview.cspSource`. */
  cspSource: string;
  /** `webview.asWebviewUri(dist/webview/visualizer.js)`, as a string. */
  scriptUri: string;
  styleUri: string;
  layout: VisualizerLayout;
  /** The runtime's telemetry port, when one runs: the only place the page may connect to. */
  port?: number;
  /** The runtime's host; 127.0.0.1 unless attached elsewhere. */
  host?: string;
  nonce?: string;
}

export function newNonce(): string {
  return randomBytes(16).toString("base64");
}

export function contentSecurityPolicy(cspSource: string, nonce: string, port?: number, host = "127.0.0.1"): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `connect-src ${port === undefined ? "'none'" : `ws://${host}:${port}`}`,
  ].join("; ");
}

const escapeAttr = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

export function visualizerHtml(input: WebviewHtmlInput): string {
  const nonce = input.nonce ?? newNonce();
  const csp = contentSecurityPolicy(input.cspSource, nonce, input.port, input.host);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Beamline</title>
<link rel="stylesheet" href="${escapeAttr(input.styleUri)}">
</head>
<body>
<div id="beamline" data-layout="${input.layout}" data-host="vscode"></div>
<script nonce="${nonce}" src="${escapeAttr(input.scriptUri)}"></script>
</body>
</html>`;
}

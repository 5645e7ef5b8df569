// Lines where processes block now (a receive, call or sleep with processes waiting in it) get a
// subtle decoration; hovering says which processes wait there and for what. Updated at most once
// a second from the site aggregates; the hover fetches processes and their receive clauses lazily.

import * as vscode from "vscode";
import type { ProcessInfo } from "../protocol/frames.js";
import type { SessionManager } from "./sessionManager.js";
import { formatPid, type InspectResult } from "../protocol/control.js";
import { waitingLines } from "./siteLenses.js";

export class WaitingDecorations implements vscode.HoverProvider, vscode.Disposable {
  private readonly type = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor("editor.rangeHighlightBackground"),
    overviewRulerColor: new vscode.ThemeColor("editorOverviewRuler.infoForeground"),
    overviewRulerLane: vscode.OverviewRulerLane.Right,
    after: { color: new vscode.ThemeColor("editorCodeLens.foreground"), margin: "0 0 0 2em", fontStyle: "italic" },
  });
  private readonly disposables: vscode.Disposable[] = [];
  private connectionListener: { dispose(): void } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private cache: { at: number; processes: ProcessInfo[] } | undefined;

  constructor(
    private readonly manager: SessionManager,
    private readonly enabled: () => boolean,
  ) {
    this.disposables.push(
      manager.onDidChange(() => {
        this.connectionListener?.dispose();
        this.connectionListener = manager.connection?.onAggregates.on(() => this.schedule());
        this.schedule();
      }),
      vscode.window.onDidChangeVisibleTextEditors(() => this.schedule()),
      vscode.languages.registerHoverProvider([{ scheme: "file", language: "typescript" }, { scheme: "file", language: "javascript" }], this),
    );
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.update();
    }, 1000);
  }

  private update(): void {
    const connection = this.manager.connection;
    for (const editor of vscode.window.visibleTextEditors) {
      const file = this.manager.relativePath(editor.document.uri);
      if (!connection || file === undefined || !this.enabled()) {
        editor.setDecorations(this.type, []);
        continue;
      }
      const lines = waitingLines(connection.sites, file, connection.aggregates);
      editor.setDecorations(
        this.type,
        lines
          .filter((l) => l.line < editor.document.lineCount)
          .map((l) => ({
            range: new vscode.Range(l.line, 0, l.line, 0),
            renderOptions: { after: { contentText: `← ${l.waiting} waiting in ${l.site.name}` } },
          })),
      );
    }
  }

  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const connection = this.manager.connection;
    const file = this.manager.relativePath(document.uri);
    if (!connection || file === undefined || !this.enabled()) return undefined;
    const here = waitingLines(connection.sites, file, connection.aggregates).filter((l) => l.line === position.line);
    if (here.length === 0) return undefined;
    if (!this.cache || Date.now() - this.cache.at > 2000) {
      this.cache = { at: Date.now(), processes: await connection.fetchProcesses().catch(() => connection.lastProcesses) };
    }
    const md = new vscode.MarkdownString();
    md.isTrusted = { enabledCommands: ["beamline.inspectPid"] };
    for (const { site, waiting } of here) {
      const waiters = this.cache.processes.filter((p) => p.waitSite === site.id);
      md.appendMarkdown(`**${waiting} process${waiting === 1 ? "" : "es"} waiting in \`${site.name}\`** here\n\n`);
      for (const p of waiters.slice(0, 8)) {
        const pid = formatPid(p.pid);
        const args = encodeURIComponent(JSON.stringify([pid]));
        md.appendMarkdown(`- [${pid}](command:beamline.inspectPid?${args}) \`${p.name || p.fn}\` · mailbox ${p.mailbox}\n`);
      }
      if (waiters.length > 8) md.appendMarkdown(`- … and ${waiters.length - 8} more\n`);
      const first = waiters[0];
      if (first) {
        const r = await connection.request({ type: "inspect", pid: formatPid(first.pid), mailboxLimit: 0 }, 2000);
        const info = r.ok ? (r.result as InspectResult) : undefined;
        if (info && info.waitingFor.length > 0) {
          md.appendMarkdown(`\n${formatPid(first.pid)} waits for:\n`);
          md.appendCodeblock(info.waitingFor.join("\n"), "typescript");
        }
      }
    }
    return new vscode.Hover(md);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.connectionListener?.dispose();
    for (const d of this.disposables) d.dispose();
    this.type.dispose();
  }
}

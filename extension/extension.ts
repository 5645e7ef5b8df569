// The Beamline extension: run a TypeScript program on the Beamline runtime and watch it live —
// side panel, editor panel, code lenses, waiting lines, status bar.

import * as vscode from "vscode";
import { BeamlineCodeLensProvider } from "./codeLensProvider.js";
import { Commands } from "./commands.js";
import { SessionManager } from "./sessionManager.js";
import { parseSettings, type Settings } from "./settings.js";
import { SidePanelProvider } from "./sidePanelProvider.js";
import { StatusBar } from "./statusBar.js";
import { VisualizerPanel } from "./visualizerPanel.js";
import { WaitingDecorations } from "./waitingDecorations.js";

let manager: SessionManager | undefined;

export function activate(context: vscode.ExtensionContext): void {
  let settings: Settings = readSettings();
  const current = () => settings;
  manager = new SessionManager(context);
  const sidePanel = new SidePanelProvider(context.extensionUri, manager);
  const lenses = new BeamlineCodeLensProvider(manager, () => current().codeLens);
  const commands = new Commands(context, manager, current);

  const setRunning = () => void vscode.commands.executeCommand("setContext", "beamline.running", manager?.running ?? false);
  context.subscriptions.push(
    manager,
    sidePanel,
    lenses,
    new StatusBar(manager),
    new WaitingDecorations(manager, () => current().waitingDecorations),
    ...commands.register(),
    vscode.window.registerWebviewViewProvider(SidePanelProvider.viewType, sidePanel, { webviewOptions: { retainContextWhenHidden: true } }),
    vscode.window.registerWebviewPanelSerializer(VisualizerPanel.viewType, VisualizerPanel.serializer(context.extensionUri, manager)),
    vscode.languages.registerCodeLensProvider(BeamlineCodeLensProvider.selector, lenses),
    manager.onDidChange(setRunning),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration("beamline")) return;
      settings = readSettings();
      lenses.markDirty(true);
    }),
  );
  setRunning();
}

function readSettings(): Settings {
  const config = vscode.workspace.getConfiguration("beamline");
  return parseSettings((key) => config.get(key));
}

/** Window close, reload or disable: the runtime goes with the window. */
export async function deactivate(): Promise<void> {
  const m = manager;
  manager = undefined;
  if (m) await m.stop();
}

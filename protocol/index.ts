// The wire contract between the runtime, the extension and the visualizer. Imports nothing of them.

export * from "./binaryCursor.js";
export * from "./control.js";
export * from "./frames.js";
export * from "./telemetryLine.js";
export * from "./upgrade.js";
export * from "./webviewMessages.js";
export * from "./recordingFile.js";

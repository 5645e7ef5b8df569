// Where the runtime's own files are when it runs. This module sits at the runtime's root, beside
// api.js and worker.js, both in dist/runtime and in the extension's bundle (where every module is a
// chunk next to the entries), so the paths below hold in both layouts; modules in the rooms
// (core/, host/, ...) must not compute them from their own location.

import path from "node:path";
import { fileURLToPath } from "node:url";

/** The folder of the runtime's modules: stack frames inside it are the runtime's, not the user's. */
export const runtimeDir = path.dirname(fileURLToPath(import.meta.url));

/** The public API module that user programs import as "beamline". */
export const apiModuleUrl = new URL("./api.js", import.meta.url);

/** The scheduler thread's entry module. */
export const workerModuleUrl = new URL("./worker.js", import.meta.url);

/** The visualizer's built files, served by the standalone page. */
export const webviewDir = path.resolve(runtimeDir, "../webview");

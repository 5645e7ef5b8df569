// Loads a user program: esbuild strips types and bundles the program's own files, the AST pass
// inserts reduction checks, and the two source maps are composed so that stacks and sites
// point at the user's own file and line.
// The compiled program lives in a temp folder named after the run's OS pid
// (`beamline-<pid>-XXXXXX`): the run removes it when it ends, also when it crashes or calls
// process.exit, and a folder whose run was killed outright (SIGKILL) is removed by the next run.

import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import remapping from "@jridgewell/remapping";
import { TraceMap, originalPositionFor } from "@jridgewell/trace-mapping";
import * as esbuild from "esbuild";
import { instrument, type InstrumentedSite } from "./instrument.js";

/** A program that cannot be loaded: a syntax error, a missing file, a missing main. */
export class LoadError extends Error {
  override name = "LoadError";
}

export interface LoadedProgram {
  /** The instrumented module, with an inline source map. */
  url: string;
  /** Names of the generator functions instrumented as processes. */
  processGenerators: string[];
  /** Spawn calls, waiting calls and process functions, by id (from 1). */
  sites: InstrumentedSite[];
  /** Removes the compiled file. */
  dispose(): void;
}

/**
 * Compiles `entry` for the runtime. `apiUrl` is the runtime API module the program's
 * `import ... from "beamline"` must resolve to, so that it shares the scheduler's state;
 * `reductions` is the run's reduction budget, which the checks in plain functions are compiled with.
 */
export async function loadProgram(entry: string, apiUrl: string, reductions: number): Promise<LoadedProgram> {
  const absolute = path.resolve(entry);
  removeStaleFolders();
  const outDir = mkdtempSync(path.join(tmpdir(), `beamline-${process.pid}-`));
  // The 'exit' event comes also after an uncaught exception and after process.exit.
  const removeOnExit = () => rmSync(outDir, { recursive: true, force: true });
  process.on("exit", removeOnExit);
  const dispose = () => {
    removeOnExit();
    process.off("exit", removeOnExit);
  };
  const outfile = path.join(outDir, path.basename(absolute).replace(/\.[cm]?[jt]sx?$/, "") + ".mjs");
  let result: esbuild.BuildResult<{ write: false; sourcemap: "external" }>;
  try {
    result = await esbuild.build({
      entryPoints: [absolute],
      outfile,
      bundle: true,
      write: false,
      format: "esm",
      platform: "node",
      target: "node20",
      sourcemap: "external",
      sourcesContent: false,
      // Packages resolve as Node resolves them from the program's folder (see packagesAsNodeFinds).
      mainFields: ["main"],
      conditions: [],
      logLevel: "silent",
      plugins: [beamlineApi(apiUrl, Object.keys(await import(apiUrl))), packagesAsNodeFinds()],
    });
  } catch (error) {
    dispose();
    throw new LoadError(formatBuildFailure(error));
  }
  const js = result.outputFiles.find((f) => f.path.endsWith(".mjs"))!.text;
  const bundleMap = JSON.parse(result.outputFiles.find((f) => f.path.endsWith(".map"))!.text);
  // esbuild writes sources relative to the output folder; make them absolute so stacks name the user's files.
  bundleMap.sources = bundleMap.sources.map((s: string) => path.resolve(outDir, s));
  const trace = new TraceMap(bundleMap);
  const cwd = process.cwd();
  const sourceOf = (line: number, column: number) => {
    const pos = originalPositionFor(trace, { line, column });
    if (pos.source === null) return { file: path.relative(cwd, absolute), line: 0, column: 0 };
    return { file: path.relative(cwd, pos.source), line: pos.line, column: pos.column + 1 };
  };
  const { code, processGenerators, sites } = instrument(js, sourceOf, apiUrl, reductions);
  const passMap = code.generateMap({ hires: true, source: outfile, includeContent: false });
  const composed = remapping(passMap.toString(), (file) => (file === outfile ? bundleMap : null));
  const mapUrl = `data:application/json;base64,${Buffer.from(composed.toString()).toString("base64")}`;
  writeFileSync(outfile, `${code.toString()}\n//# sourceMappingURL=${mapUrl}\n`);
  return {
    url: pathToFileURL(outfile).href,
    processGenerators,
    sites,
    dispose,
  };
}

const RUN_FOLDER = /^beamline-(\d+)-[A-Za-z0-9]{6}$/;

/** Removes this user's temp folders whose run is gone: it was killed before it could remove them. */
function removeStaleFolders(): void {
  const dir = tmpdir();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const owner = RUN_FOLDER.exec(name)?.[1];
    if (owner === undefined || Number(owner) === process.pid || isRunning(Number(owner))) continue;
    const folder = path.join(dir, name);
    try {
      if (statSync(folder).uid !== process.getuid?.()) continue;
      rmSync(folder, { recursive: true, force: true });
    } catch {
      // Another run removed it first, or it is not ours to remove.
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

const API_NAMESPACE = "beamline-api";

/**
 * `import ... from "beamline"` reads a module that re-exports the runtime API's own exports, so that
 * esbuild checks each imported name against them and reports a missing one at the user's line; the
 * program imports the API module itself, external, so that it shares the scheduler's state.
 */
function beamlineApi(apiUrl: string, exports: string[]): esbuild.Plugin {
  return {
    name: "beamline-api",
    setup(build) {
      build.onResolve({ filter: /^beamline$/ }, () => ({ path: "beamline", namespace: API_NAMESPACE }));
      build.onLoad({ filter: /.*/, namespace: API_NAMESPACE }, () => ({
        contents: `export { ${exports.join(", ")} } from ${JSON.stringify(apiUrl)};`,
        loader: "js",
      }));
      build.onResolve({ filter: /.*/, namespace: API_NAMESPACE }, () => ({ path: apiUrl, external: true }));
    },
  };
}

const RESOLVING = Symbol("resolving");

/**
 * npm packages stay outside the bundle (they are neither instrumented nor copied), imported by their
 * absolute file URL: the compiled program runs from a temp folder, where Node would look for them in
 * vain. Resolving them while compiling also reports a missing package at the user's line.
 */
function packagesAsNodeFinds(): esbuild.Plugin {
  return {
    name: "packages-as-node-finds",
    setup(build) {
      build.onResolve({ filter: /^[^./#]/ }, async (args) => {
        if (args.pluginData === RESOLVING || isBuiltin(args.path) || args.namespace !== "file") return undefined;
        const found = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: RESOLVING });
        if (found.errors.length > 0) {
          const name = /^(@[^/]+\/)?[^/]+/.exec(args.path)![0];
          return { errors: [{ text: `cannot find package "${name}" from ${path.relative(process.cwd(), args.resolveDir) || "."}: is it installed (npm install ${name})?` }] };
        }
        return { path: pathToFileURL(found.path).href, external: true };
      });
    },
  };
}

/** What esbuild says, in the words of a user who imports from "beamline". */
function errorText(text: string): string {
  const missing = new RegExp(`^No matching export in "${API_NAMESPACE}:beamline" for import "(.+)"$`).exec(text);
  return missing !== null ? `beamline does not export ${missing[1]}` : text;
}

/** `file:line:col: error: message`, with the offending line, for each error esbuild found. */
function formatBuildFailure(error: unknown): string {
  const errors = (error as { errors?: esbuild.Message[] }).errors;
  if (!errors || errors.length === 0) return String(error);
  return errors
    .map((error) => ({ ...error, text: errorText(error.text) }))
    .map((e) => {
      const loc = e.location;
      if (!loc) return `error: ${e.text}`;
      const caret = `${" ".repeat(loc.column)}^`;
      return `${loc.file}:${loc.line}:${loc.column + 1}: error: ${e.text}\n    ${loc.lineText}\n    ${caret}`;
    })
    .join("\n");
}

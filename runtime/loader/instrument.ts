// The loader's AST pass: inserts reduction checks so that a long-running process gives up its
// scheduler. Process generators yield at loop heads; everything else only counts, because a plain
// function cannot yield and a generator used as an iterator must not see our PREEMPT values (docs/architecture.md).

import { parse, type Node } from "acorn";
import MagicString from "magic-string";

/** A position in the user's source. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** Maps a position in the code being instrumented to the user's source. */
export type SourceOf = (line: number, column: number) => SourcePosition;

export type SiteKind = "spawn" | "receive" | "function";

/** A spawn call, a waiting call (receive, call, sleep) or a process function, numbered from 1. */
export interface InstrumentedSite extends SourcePosition {
  id: number;
  kind: SiteKind;
  name: string;
}

export interface Instrumented {
  code: MagicString;
  /** Names of the generator functions instrumented as processes. */
  processGenerators: string[];
  sites: InstrumentedSite[];
}

type AnyNode = Node & Record<string, any>;

// startServer and the supervisor starters spawn their process: their line is its spawn site, where
// the code lens counts its restarts and crashes (docs/api.md, "Supervisors"). spawnOn takes its
// function second, after the scheduler id.
const SPAWN_NAME = /^(spawn|spawnOn|spawnLink|spawnMonitor|startServer|startSupervisor|startDynamicSupervisor)\d*$/;
const WAIT_NAME = /^(receive|call|sleep)\d*$/;
const LOOPS = new Set(["ForStatement", "ForInStatement", "ForOfStatement", "WhileStatement", "DoWhileStatement"]);
const FUNCTIONS = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"]);

/**
 * Instruments `source`: `budgetImport` is the module the budget is imported from, and `grace` how
 * many reductions past its slice's end a plain function counts before it reports an overrun (the
 * run's reduction budget).
 */
export function instrument(source: string, sourceOf: SourceOf, budgetImport: string, grace: number): Instrumented {
  const ast = parse(source, { ecmaVersion: "latest", sourceType: "module", locations: true }) as AnyNode;
  const code = new MagicString(source);
  const spawned = collectSpawnedNames(ast);
  const processGenerators: string[] = [];
  const sites: InstrumentedSite[] = [];
  const siteOf = (line: number, column: number): string => {
    const at = sourceOf(line, column);
    return `${at.file}:${at.line}`;
  };
  const addSite = (node: AnyNode, kind: SiteKind, name: string): number => {
    const id = sites.length + 1;
    sites.push({ id, kind, name, ...sourceOf(node.loc!.start.line, node.loc!.start.column) });
    return id;
  };

  const visit = (node: AnyNode, fn: { process: boolean } | null): void => {
    if (FUNCTIONS.has(node.type)) {
      const process = node.generator === true && isProcessGenerator(node, spawned);
      if (process) {
        processGenerators.push(node.id?.name ?? "(anonymous)");
        addSite(node, "function", node.id?.name ?? "(anonymous)");
      }
      const scope = { process };
      if (!process && node.body.type === "BlockStatement") {
        code.appendLeft(node.body.start + 1, countCheck(siteOf(node.loc!.start.line, node.loc!.start.column), grace));
      }
      for (const param of node.params) visit(param, scope);
      visit(node.body, scope);
      return;
    }
    if (node.type === "CallExpression") {
      // The runtime reads __bl.s to know which line a process was spawned at or waits at.
      const name = calleeName(node);
      const kind: SiteKind | undefined = name === undefined ? undefined : SPAWN_NAME.test(name) ? "spawn" : WAIT_NAME.test(name) ? "receive" : undefined;
      if (kind !== undefined) {
        code.appendLeft(node.start, `(__bl.s = ${addSite(node, kind, name!.replace(/\d+$/, ""))}, `);
        code.prependRight(node.end, ")");
      }
    }
    if (fn !== null && LOOPS.has(node.type)) {
      const check = fn.process ? "if (--__bl.r <= 0) yield __bl.P;" : countCheck(siteOf(node.loc!.start.line, node.loc!.start.column), grace);
      const body = node.body as AnyNode;
      if (body.type === "BlockStatement") code.appendLeft(body.start + 1, check);
      else {
        code.appendLeft(body.start, `{${check}`);
        code.appendRight(body.end, "}");
      }
    }
    forEachChild(node, (child) => visit(child, fn));
  };
  visit(ast, null);
  hoistConstantClauses(ast, code, budgetImport);
  const topLevel = topLevelGenerators(ast);
  // The checks read the budget through a module-level const, not the imported binding: V8 tracks a
  // const context slot as a constant, while every read of an import pays a cell load and a hole
  // check (fib: 48 instructions a call against 60; docs/performance.md, "The reduction count made cheaper"). One line, so
  // that the source map's lines do not move.
  code.prepend(
    `import { __beamline as __bl_budget${topLevel.length > 0 ? ", __beamlineDefine as __bl_def" : ""} } from ${JSON.stringify(budgetImport)}; const __bl = __bl_budget;\n`,
  );
  // Every scheduler thread loads the program; a process can start on another one by its function's
  // name (core/processFunctions.ts). Function declarations are hoisted, so the call may come last.
  if (topLevel.length > 0) code.append(`\n__bl_def({ ${topLevel.join(", ")} });\n`);
  return { code, processGenerators, sites };
}

/** The names of the module's top-level generator function declarations, exported or not. */
function topLevelGenerators(ast: AnyNode): string[] {
  const names: string[] = [];
  for (const statement of ast.body) {
    const decl = statement.type === "ExportNamedDeclaration" || statement.type === "ExportDefaultDeclaration" ? statement.declaration : statement;
    if (decl?.type === "FunctionDeclaration" && decl.generator === true && decl.id) names.push(decl.id.name);
  }
  return names;
}

/** Beamline exports a constant clause pattern may name (besides literals). */
const PATTERN_EXPORTS = new Set(["_", "Pid", "Ref", "From"]);
/** Globals a constant clause pattern may name. */
const PATTERN_GLOBALS = ["Number", "String", "Boolean"];

/**
 * Builds each clause whose pattern is a constant and that has no handler, like `on("stop")` or
 * `on(["add", Number])`, once, at the top of the module, instead of every time its receive runs:
 * a receive in a loop then allocates no clause, and a process parked in it keeps none of its own
 * (clauses are immutable, so processes can share one). Only beamline's own `on`, and only names
 * that nothing in the module declares again, so that the hoisted code means what the original did.
 */
function hoistConstantClauses(ast: AnyNode, code: MagicString, apiImport: string): void {
  const imports = ast.body.filter((n: AnyNode) => n.type === "ImportDeclaration");
  const onNames = new Set<string>();
  const patternNames = new Set<string>(PATTERN_GLOBALS);
  for (const decl of imports) {
    if (decl.source.value !== apiImport) continue;
    for (const spec of decl.specifiers) {
      if (spec.type !== "ImportSpecifier") continue;
      const imported = spec.imported.name ?? spec.imported.value;
      if (imported === "on") onNames.add(spec.local.name);
      else if (PATTERN_EXPORTS.has(imported)) patternNames.add(spec.local.name);
    }
  }
  if (onNames.size === 0) return;
  for (const name of declaredNames(ast)) {
    onNames.delete(name);
    patternNames.delete(name);
  }
  const isConstant = (node: AnyNode): boolean => {
    switch (node.type) {
      case "Literal":
        return node.regex === undefined;
      case "TemplateLiteral":
        return node.expressions.length === 0;
      case "UnaryExpression":
        return (node.operator === "-" || node.operator === "+") && node.argument.type === "Literal" && typeof node.argument.value === "number";
      case "Identifier":
        return patternNames.has(node.name);
      case "ArrayExpression":
        return node.elements.every((e: AnyNode | null) => e !== null && e.type !== "SpreadElement" && isConstant(e));
      case "ObjectExpression":
        return node.properties.every(
          (p: AnyNode) => p.type === "Property" && p.kind === "init" && !p.computed && !p.method && isConstant(p.value),
        );
      default:
        return false;
    }
  };
  const hoisted: string[] = [];
  const walk = (node: AnyNode): void => {
    if (
      node.type === "CallExpression" &&
      node.callee.type === "Identifier" &&
      onNames.has(node.callee.name) &&
      node.arguments.length === 1 &&
      isConstant(node.arguments[0])
    ) {
      const name = `__bl_clause${hoisted.length + 1}`;
      hoisted.push(`const ${name} = ${node.callee.name}(${code.slice(node.arguments[0].start, node.arguments[0].end)});`);
      code.overwrite(node.start, node.end, name);
      return;
    }
    forEachChild(node, walk);
  };
  walk(ast);
  if (hoisted.length > 0) code.appendLeft(imports.at(-1).end, `\n${hoisted.join("\n")}`);
}

/** Every name the module declares, in any scope, other than by an import. */
function declaredNames(ast: AnyNode): Set<string> {
  const names = new Set<string>();
  const addPattern = (p: AnyNode | null): void => {
    if (p === null) return;
    if (p.type === "Identifier") names.add(p.name);
    else if (p.type === "ObjectPattern") for (const prop of p.properties) addPattern(prop.type === "RestElement" ? prop.argument : prop.value);
    else if (p.type === "ArrayPattern") for (const e of p.elements) addPattern(e);
    else if (p.type === "RestElement") addPattern(p.argument);
    else if (p.type === "AssignmentPattern") addPattern(p.left);
  };
  const walk = (node: AnyNode): void => {
    if (node.type === "VariableDeclarator") addPattern(node.id);
    else if (FUNCTIONS.has(node.type)) {
      if (node.id) names.add(node.id.name);
      for (const param of node.params) addPattern(param);
    } else if ((node.type === "ClassDeclaration" || node.type === "ClassExpression") && node.id) names.add(node.id.name);
    else if (node.type === "CatchClause") addPattern(node.param);
    forEachChild(node, walk);
  };
  walk(ast);
  return names;
}

function calleeName(call: AnyNode): string | undefined {
  const callee = call.callee;
  if (callee.type === "Identifier") return callee.name;
  if (callee.type === "MemberExpression" && !callee.computed) return callee.property?.name;
  return undefined;
}

/** A plain function's check: it counts, and reports an overrun `grace` reductions past its slice's end. */
function countCheck(site: string, grace: number): string {
  return `if (--__bl.r < ${-grace}) __bl.over(${JSON.stringify(site)});`;
}

/**
 * A generator runs as a process when it is passed to spawn, exported as main, or delegates with
 * `yield*` (to receive, call, sleep or another process function). Plain iterators do none of these.
 */
function isProcessGenerator(fn: AnyNode, spawned: Set<string | AnyNode>): boolean {
  if (spawned.has(fn)) return true;
  if (fn.id && spawned.has(fn.id.name)) return true;
  return containsDelegation(fn.body);
}

/** Whether the function body itself (not a nested function) contains `yield*`. */
function containsDelegation(node: AnyNode): boolean {
  if (node.type === "YieldExpression" && node.delegate) return true;
  let found = false;
  forEachChild(node, (child) => {
    if (!found && !FUNCTIONS.has(child.type)) found = containsDelegation(child);
  });
  return found;
}

function forEachChild(node: AnyNode, f: (child: AnyNode) => void): void {
  for (const key in node) {
    if (key === "loc") continue;
    const child = node[key];
    if (Array.isArray(child)) {
      for (const item of child) if (item && typeof item.type === "string") f(item);
    } else if (child && typeof child.type === "string") f(child);
  }
}

/**
 * Names (and inline function nodes) passed as the function argument of spawn, named first in a child
 * spec's `start: [fn, ...args]` (a supervisor spawns fn; the spec may be built anywhere, so any
 * object property `start` holding such an array counts), and the exported main.
 */
function collectSpawnedNames(ast: AnyNode): Set<string | AnyNode> {
  const found = new Set<string | AnyNode>();
  const addFunction = (node: AnyNode | null | undefined): void => {
    if (!node) return;
    if (node.type === "Identifier") found.add(node.name);
    else if (FUNCTIONS.has(node.type)) found.add(node);
  };
  const walk = (node: AnyNode): void => {
    if (node.type === "CallExpression") {
      const name = calleeName(node);
      if (name && SPAWN_NAME.test(name)) addFunction(node.arguments[/^spawnOn\d*$/.test(name) ? 1 : 0]);
    }
    if (node.type === "Property" && !node.computed && (node.key.name ?? node.key.value) === "start" && node.value.type === "ArrayExpression") {
      addFunction(node.value.elements[0]);
    }
    if (node.type === "ExportSpecifier" && (node.exported?.name ?? node.exported?.value) === "main") found.add(node.local.name);
    if (node.type === "ExportNamedDeclaration" && node.declaration?.type === "FunctionDeclaration" && node.declaration.id?.name === "main") {
      found.add("main");
    }
    forEachChild(node, walk);
  };
  walk(ast);
  return found;
}

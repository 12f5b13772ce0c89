// The checker: takes a parsed AST (syntax/parser.ts), resolves names and types, checks the DSL rules
// (imports from "tsebpf", program shape, null checks on header views, constant loop bounds, no
// recursion, no unsupported TypeScript) and returns the annotated program plus diagnostics. This
// file does the top-level declarations and the call graph; function bodies are in stmt.ts,
// expressions in expr.ts, calls in calls.ts, all over one context (context.ts). Never throws on bad input.
import type * as A from "../ast.js";
import { inSourceOrder, type Diagnostic } from "../../diagnostics.js";
import { MAPS, MODULE_NAME, UNSUPPORTED_MAPS, exportedNames, INT_TYPES, IPV6_ADDR } from "../catalog.js";
import { ACTION, ERROR, isError, isInt, typeName } from "./types.js";
import { narrow } from "../int-rule.js";
import { diag } from "../codes.js";
import { MAX_CALL_DEPTH } from "../limits.js";
import { DROPS_MAP, LOG_MAP } from "../../log-record.js";
import { MAP_TYPE } from "../../object.js";
import { type CheckCtx, checkStore, newContext, report, reportUnsupported, resolveType } from "./context.js";
import { checkValue } from "./expr.js";
import { checkCall } from "./calls.js";
import { checkReadOnlyArgs, globalDecl, isGlobalDecl, layoutGlobals } from "./globals.js";
import { body, inferReturn } from "./stmt.js";
import { declareStructs, mapWriters } from "./structs.js";

export interface CheckResult {
  program: A.CheckedProgram;
  diagnostics: Diagnostic[];
}

export function checkProgram(ast: A.Program): CheckResult {
  const cx = newContext(checkCall);
  let program: A.CheckedProgram;
  try {
    program = run(cx, ast);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    cx.diagnostics.push(diag("unsupported", "The program is nested too deeply to compile.", ast.span));
    program = { ast, programs: [], functions: [], maps: [], consts: [], globals: [] };
  }
  return { program, diagnostics: inSourceOrder(cx.diagnostics) };
}

const MAX_PARAMS = 5;
/** Maps the compiler adds itself (docs/log-format.md). */
const RESERVED_MAPS = new Set([LOG_MAP, DROPS_MAP]);
/** Array maps: the kernel requires key_size 4 (an index). */
const INDEXED_MAPS = new Set<number>([MAP_TYPE.ARRAY, MAP_TYPE.PERCPU_ARRAY]);

function run(cx: CheckCtx, ast: A.Program): A.CheckedProgram {
  const exported = new Set(exportedNames());
  for (const item of ast.items) if (item.kind === "ImportDecl") importDecl(cx, item, exported);
  const maps: A.MapDecl[] = [],
    consts: A.ConstDecl[] = [],
    fns: A.FunctionDecl[] = [],
    structs: A.StructDecl[] = [];
  for (const item of ast.items) {
    if (item.kind === "MapDecl") maps.push(item);
    else if (item.kind === "StructDecl") structs.push(item);
    else if (item.kind === "ConstDecl") consts.push(item);
    else if (item.kind === "FunctionDecl") fns.push(item);
    else if (item.kind === "Unsupported" && !(ast.syntaxErrors && item.what === "top-level-statement"))
      reportUnsupported(cx, item.what, item.span);
  }
  for (const f of fns) global(cx, { kind: "function", name: f.name, decl: f }, f.nameSpan);
  cx.scopes = [];
  declareStructs(cx, structs);
  for (const k of consts) constDecl(cx, k);
  const globals = consts.filter((k) => k.global);
  layoutGlobals(globals);
  for (const m of maps) mapDecl(cx, m);
  for (const f of fns) signature(cx, f);
  cx.adjusting = adjustingFunctions(fns);
  cx.mapWriters = mapWriters(fns, new Set(maps.map((m) => m.name)));
  for (const f of fns) body(cx, f);
  checkReadOnlyArgs(cx, fns);
  const programs = fns.filter((f) => f.role === "xdp");
  if (programs.length === 0 && !cx.diagnostics.length)
    report(
      cx,
      "noProgram",
      "No XDP program: export a function taking one XdpContext parameter, e.g. 'export function xdp_main(ctx: XdpContext): XdpAction'.",
      { file: ast.file, line: 1, col: 1, offset: 0, length: 0 },
    );
  const functions = callGraph(cx, programs);
  return { ast, programs, functions, maps, consts: consts.filter((k) => !k.global), globals };
}

function global(cx: CheckCtx, b: A.Binding, span: A.Span): void {
  if (!b.name) return;
  if (cx.globals.has(b.name) || cx.imports.has(b.name))
    report(cx, "redeclare", `Cannot redeclare block-scoped variable '${b.name}'.`, span);
  else cx.globals.set(b.name, b);
}

function importDecl(cx: CheckCtx, d: A.ImportDecl, exported: Set<string>): void {
  if (!d.source) return; // syntax error, already reported
  if (d.source !== MODULE_NAME) {
    report(cx, "importSource", `Imports must come from "${MODULE_NAME}", not "${d.source}".`, d.span);
    return;
  }
  for (const s of d.names) {
    if (!s.name) continue;
    if (UNSUPPORTED_MAPS.has(s.name)) {
      report(
        cx,
        "mapDecl",
        `${s.name} is not supported yet; the map classes are ${Object.keys(MAPS).join(", ")}.`,
        s.span,
      );
      cx.imports.set(s.local, s.name); // declarations of it are then not reported again
    } else if (!exported.has(s.name))
      report(cx, "noExportedMember", `Module '"${MODULE_NAME}"' has no exported member '${s.name}'.`, s.span);
    else if (cx.imports.has(s.local)) report(cx, "redeclare", `Duplicate identifier '${s.local}'.`, s.span);
    else cx.imports.set(s.local, s.name);
  }
}

// ------------------------------------------------------------ top-level declarations

function constDecl(cx: CheckCtx, k: A.ConstDecl): void {
  const ann = k.typeAnn && resolveType(cx, k.typeAnn);
  if (isGlobalDecl(cx, k, ann)) {
    const b = globalDecl(cx, k, ann);
    if (b) global(cx, b, k.nameSpan);
    else global(cx, { kind: "const", name: k.name, type: ERROR, value: 0n, decl: k }, k.nameSpan);
    return;
  }
  const t = checkValue(cx, k.init, ann && isInt(ann) ? ann : undefined);
  let type: A.Type = ann ?? t;
  if (ann) checkStore(cx, k.init, t, ann);
  if (k.init.constValue === undefined) {
    if (!isError(t))
      report(cx, "constantExpr", "Top-level constants must be compile-time constant integers (or bool).", k.init.span);
    type = ERROR;
  }
  k.type = type;
  const value = k.init.constValue ?? 0n;
  k.value = isInt(type) ? narrow(value, type) : value;
  global(cx, { kind: "const", name: k.name, type, value: k.value, decl: k }, k.nameSpan);
}

function mapDecl(cx: CheckCtx, m: A.MapDecl): void {
  const cat = cx.imports.get(m.mapClass);
  const cls = cat !== undefined ? MAPS[cat] : undefined;
  const type: A.MapType = { kind: "map", mapKind: cat ?? m.mapClass, key: INT_TYPES.u32, value: INT_TYPES.u32 };
  if (!cls) {
    if (m.mapClass && !UNSUPPORTED_MAPS.has(cat ?? ""))
      report(
        cx,
        cat === undefined ? "cannotFindName" : "mapDecl",
        cat === undefined
          ? `Cannot find name '${m.mapClass}'.${MAPS[m.mapClass] ? ` Import it: import { ${m.mapClass} } from "tsebpf".` : ""}`
          : `'${m.mapClass}' is not a map class (${Object.keys(MAPS).join(", ")}).`,
        m.span,
      );
  } else {
    const args = m.typeArgs.map((t) => resolveType(cx, t));
    if (args.length !== cls.typeArgs)
      report(
        cx,
        "mapDecl",
        cls.typeArgs === 0
          ? `${cat} takes no type arguments (u32 keys, the kernel's values): new ${cat}(64).`
          : `${cat} takes ${cls.typeArgs} type argument${cls.typeArgs === 1 ? "" : "s"}, e.g. new ${cat}<${cls.typeArgs === 1 ? "u64" : "u32, u64"}>(1024).`,
        m.span,
      );
    args.forEach((a, i) => {
      const intOnly = cat === "LpmTrie" && i === 0;
      const what = i || cls.typeArgs === 1 ? "values" : "keys";
      const lpmAddr = cat === "LpmTrie" && i === 0 && a === IPV6_ADDR;
      if (!isError(a) && !isInt(a) && !(a.kind === "struct" && (!intOnly || lpmAddr)))
        report(
          cx,
          "mapDecl",
          `${cat} ${what} must be integer${intOnly ? (i ? "" : " or Ipv6Addr") : " or struct"} types, not '${typeName(a)}'.`,
          m.typeArgs[i]!.span,
        );
    });
    const ints = args.map((a) => (isInt(a) || a.kind === "struct" ? a : INT_TYPES.u32));
    if (cls.typeArgs === 2) [type.key, type.value] = [ints[0] ?? INT_TYPES.u32, ints[1] ?? INT_TYPES.u32];
    else type.value = ints[0] ?? INT_TYPES.u32;
    if (INDEXED_MAPS.has(cls.type) && isInt(args[0] ?? ERROR) && type.key.name !== "u32")
      report(
        cx,
        "mapDecl",
        `${cat} keys are array indexes: the key type must be u32, not '${type.key.name}'.`,
        m.typeArgs[0]!.span,
      );
    m.maxEntries = maxEntries(cx, m, cat!);
  }
  m.type = type;
  if (RESERVED_MAPS.has(m.name))
    report(cx, "mapDecl", `The map name '${m.name}' is reserved by tsebpf (log records).`, m.nameSpan);
  global(cx, { kind: "map", name: m.name, type, decl: m }, m.nameSpan);
}

function maxEntries(cx: CheckCtx, m: A.MapDecl, cat: string): number | undefined {
  if (m.args.length !== 1) {
    report(cx, "argCount", `Expected 1 argument (max entries), but got ${m.args.length}.`, m.span);
    return undefined;
  }
  const a = m.args[0]!;
  const t = checkValue(cx, a, INT_TYPES.u32);
  const v = a.constValue;
  if (isError(t)) return undefined;
  if (v === undefined || v <= 0n || v > 0xffffffffn) {
    report(cx, "mapDecl", "The size of a map must be a positive compile-time constant.", a.span);
    return undefined;
  }
  if (cat === "RingBuf" && (v < 4096n || (v & (v - 1n)) !== 0n))
    report(cx, "mapDecl", "A RingBuf size must be a power of two and at least 4096 bytes.", a.span);
  return Number(v);
}

function signature(cx: CheckCtx, f: A.FunctionDecl): void {
  if (f.isAsync) reportUnsupported(cx, "async", f.nameSpan);
  for (const p of f.params) {
    if (!p.typeAnn) {
      if (p.name) report(cx, "implicitAny", `Parameter '${p.name}' implicitly has an 'any' type.`, p.span);
      p.type = ERROR;
    } else p.type = resolveType(cx, p.typeAnn);
  }
  const rt = f.returnTypeAnn && resolveType(cx, f.returnTypeAnn);
  const isXdp =
    f.exported && f.params.length === 1 && (f.params[0]!.type?.kind === "ctx" || isError(f.params[0]!.type));
  const returnsAction = !rt || isError(rt) || rt.kind === "action";
  // another exported function returning something else than XdpAction is a global function
  f.role = isXdp ? "xdp" : f.exported && !returnsAction ? "global" : "helper";
  if (f.exported && returnsAction && !isXdp)
    report(
      cx,
      "programShape",
      "An exported function is an XDP program: it must take exactly one parameter of type XdpContext.",
      f.nameSpan,
    );
  if (f.role !== "xdp") {
    if (f.params.length > MAX_PARAMS)
      report(cx, "programShape", `Functions take at most ${MAX_PARAMS} parameters.`, f.nameSpan);
    for (const p of f.params) paramType(cx, p);
  }
  if (rt) {
    f.returnType = rt;
    if (isXdp && !isError(rt) && rt.kind !== "action")
      report(cx, "programShape", `An XDP program must return XdpAction, not '${typeName(rt)}'.`, f.returnTypeAnn!.span);
    else if (!isXdp && !isError(rt) && !isInt(rt) && !["bool", "void", "action", "struct"].includes(rt.kind))
      report(
        cx,
        "programShape",
        `Functions must return an integer, bool, XdpAction, a struct or void, not '${typeName(rt)}'.`,
        f.returnTypeAnn!.span,
      );
  } else f.returnType = isXdp ? ACTION : inferReturn(cx, f);
}

/** A helper function's parameter: an integer, bool, struct, XdpContext or a checked header view. */
function paramType(cx: CheckCtx, p: A.Param): void {
  const t = p.type;
  if (!t || isError(t) || isInt(t) || ["bool", "ctx", "struct", "header"].includes(t.kind)) return;
  if (t.kind === "nullable" && t.inner.kind === "header") {
    p.type = t.inner; // the body is checked as if declared so: one error, here
    return report(
      cx,
      "viewParam",
      `A header view parameter cannot be null: test the view against null before the call and declare '${p.name}: ${typeName(t.inner)}' (a function has no data_end to check it against).`,
      p.span,
    );
  }
  report(
    cx,
    "programShape",
    `Function parameters must be integers, bool, structs, header views or XdpContext, not '${typeName(t)}'.`,
    p.span,
  );
}

// ------------------------------------------------------------ call graph

/** Reachable helper functions, callees first; reports recursion at the call that closes a cycle. */
function callGraph(cx: CheckCtx, programs: A.FunctionDecl[]): A.FunctionDecl[] {
  const state = new Map<A.FunctionDecl, "active" | "done">();
  const order: A.FunctionDecl[] = [];
  // the walk goes no deeper than MAX_CALL_DEPTH + 1 (so a chain of thousands cannot overflow)
  const visit = (f: A.FunctionDecl, path: A.FunctionDecl[]): void => {
    state.set(f, "active");
    const callees: A.FunctionDecl[] = [];
    for (const site of cx.callSites.get(f) ?? []) {
      if (!callees.includes(site.callee)) callees.push(site.callee);
      const st = state.get(site.callee);
      const chain = [...path, f];
      if (st === "active") {
        const cycle = [...chain.slice(chain.indexOf(site.callee)), site.callee].map((x) => x.name);
        report(cx, "recursion", `Recursion is not allowed: ${cycle.join(" → ")}.`, site.span);
      } else if (chain.length > MAX_CALL_DEPTH) {
        if (chain[0]!.role === "xdp") report(cx, "callDepth", callDepthMessage([...chain, site.callee]), site.span);
      } else if (st === undefined) visit(site.callee, chain);
    }
    f.callees = callees;
    state.set(f, "done");
    if (f.role !== "xdp") order.push(f);
  };
  for (const p of programs) if (!state.has(p)) visit(p, []);
  for (const f of cx.callSites.keys()) if (!state.has(f)) visit(f, []);
  return order.filter((f) => reachable(programs, f));
}

function callDepthMessage(chain: A.FunctionDecl[]): string {
  const names = chain.map((f) => f.name);
  const shown = names.length > 8 ? [...names.slice(0, 4), "…", ...names.slice(-3)] : names;
  return `Helper calls nest ${names.length - 1} deep (${shown.join(" → ")}); helpers are inlined, so calls may nest at most ${MAX_CALL_DEPTH} deep.`;
}

/** Names of functions that call ctx.adjustHead/adjustTail, directly or through other functions. */
function adjustingFunctions(fns: A.FunctionDecl[]): Set<string> {
  const out = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const f of fns)
      if (!out.has(f.name) && mayAdjust(f.body, out)) {
        out.add(f.name);
        changed = true;
      }
  }
  return out;
}

function reachable(programs: A.FunctionDecl[], f: A.FunctionDecl): boolean {
  const seen = new Set<A.FunctionDecl>();
  const stack = [...programs];
  while (stack.length) {
    const x = stack.pop()!;
    if (x === f) return true;
    if (seen.has(x)) continue;
    seen.add(x);
    stack.push(...(x.callees ?? []));
  }
  return false;
}

/** Whether an unchecked AST subtree calls ctx.adjustHead/adjustTail or a function in `adjusting`. */
function mayAdjust(node: unknown, adjusting: ReadonlySet<string>): boolean {
  if (!node || typeof node !== "object") return false;
  if (Array.isArray(node)) return node.some((n) => mayAdjust(n, adjusting));
  const n = node as Partial<A.CallExpr> & { kind?: string };
  if (n.kind === "CallExpr" && n.fn) {
    const f = n.fn;
    if (f.kind === "MemberExpr" && (f.property === "adjustHead" || f.property === "adjustTail")) return true;
    if (f.kind === "Identifier" && adjusting.has(f.name)) return true;
  }
  for (const [k, v] of Object.entries(node)) if (!SKIP_KEYS.has(k) && mayAdjust(v, adjusting)) return true;
  return false;
}

const SKIP_KEYS = new Set([
  "span",
  "nameSpan",
  "propertySpan",
  "type",
  "binding",
  "callee",
  "member",
  "typeAnn",
  "returnTypeAnn",
  "typeArgs",
  "constValue",
]);

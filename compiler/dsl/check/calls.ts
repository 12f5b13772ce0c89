// Calls and intrinsics: takes call expressions — user functions, catalogue helpers, map methods,
// ctx methods (header views, adjustHead/adjustTail) and log calls with their formatters — checks
// their arguments and resolves each CallExpr's callee; records call sites for the call graph.
import type * as A from "../ast.js";
import type { IntName } from "../ast.js";
import {
  CTX_METHODS,
  FIB_LOOKUP,
  FORMATS,
  IPV6_ADDR,
  HEADERS,
  HELPERS,
  INT_TYPES,
  LOG_LEVELS,
  MAP_FUNCTIONS,
  MAPS,
  type ValueKind,
} from "../catalog.js";
import { ACTION, BOOL, ERROR, STRING, VOID, assignable, isError, isInt, typeName } from "./types.js";
import { type CheckCtx, cv, fail, lookup, nonNull, outOfRange, report, unknownName } from "./context.js";
import { checkExpr, checkValue } from "./expr.js";
import { noHeldRecords, releaseCall, reserveCall } from "./records.js";
import { fibLookupCall } from "./fib.js";
import { CONFIG, globalRoot, paramRoot } from "./globals.js";

/** Check a call and resolve its callee. */
export function checkCall(cx: CheckCtx, e: A.CallExpr): A.Type {
  const fn = e.fn;
  if (fn.kind === "MemberExpr") return methodCall(cx, e, fn);
  if (fn.kind !== "Identifier") {
    checkExpr(cx, fn);
    return fail(cx, "notCallable", "This expression is not callable.", fn);
  }
  const b = lookup(cx, fn.name);
  if (!b) {
    checkArgsLoosely(cx, e);
    if (fn.name) unknownName(cx, fn.name, fn.span);
    return ERROR;
  }
  fn.binding = b;
  if (b.kind === "function") return userCall(cx, e, b.decl);
  if (b.kind === "builtin") {
    const h = HELPERS[b.name];
    if (h) {
      e.callee = { kind: "helper", name: b.name };
      checkArgs(
        cx,
        e,
        h.params.map((p) => INT_TYPES[p]),
        fn.name,
      );
      return valueType(h.returns);
    }
    if (b.name === FIB_LOOKUP) return fibLookupCall(cx, e);
    const mf = MAP_FUNCTIONS[b.name];
    if (mf) return mapFunctionCall(cx, e, b.name, mf);
    const level = LOG_LEVELS[b.name];
    if (level) return logCall(cx, e, level);
    if (b.name === CONFIG) {
      checkArgsLoosely(cx, e);
      return fail(
        cx,
        "configDecl",
        "config() declares a load-time constant at top level: 'const LIMIT = config<u32>(1000)'.",
        e,
      );
    }
    if (FORMATS[b.name]) {
      checkArgsLoosely(cx, e);
      return fail(
        cx,
        "logArg",
        `'${fn.name}()' can only be used inside a log message template, e.g. info(\`\${${fn.name}(x)}\`).`,
        e,
      );
    }
  }
  checkArgsLoosely(cx, e);
  return fail(cx, "notCallable", `This expression is not callable: '${fn.name}' is not a function.`, fn);
}

function userCall(cx: CheckCtx, e: A.CallExpr, decl: A.FunctionDecl): A.Type {
  e.callee = { kind: "function", decl };
  const params = decl.params.map((p) => p.type ?? ERROR);
  checkArgs(cx, e, params, decl.name);
  e.args.forEach((a, i) => structArg(cx, decl, a, i, params[i]));
  if (cx.adjusting.has(decl.name)) cx.flow.adjust();
  for (const m of cx.mapWriters.get(decl.name) ?? []) cx.flow.touch(m);
  if (cx.currentFn) {
    const list = cx.callSites.get(cx.currentFn) ?? [];
    list.push({ callee: decl, span: e.fn.span });
    cx.callSites.set(cx.currentFn, list);
  }
  return decl.returnType ?? ERROR;
}

/** A struct argument: a struct parameter passed on, or a read-only global struct (for a static
 * function, globals.ts checkReadOnlyArgs decides once every body is checked). A global function
 * refuses the latter at once: the kernel checks that it may read and write every struct it takes
 * ("write into map forbidden" for a .rodata value). */
function structArg(cx: CheckCtx, decl: A.FunctionDecl, a: A.Expr, i: number, p: A.Type | undefined): void {
  if (p?.kind !== "struct") return;
  const from = paramRoot(cx, a);
  if (from) cx.paramPasses.push({ from: from.func, index: from.index, callee: decl, to: i });
  const g = globalRoot(cx, a);
  if (!g || g.global.mutable) return;
  if (decl.role !== "global") {
    cx.readOnlyArgs.push({ callee: decl, index: i, global: g.name, span: a.span });
    return;
  }
  report(
    cx,
    "globalFunction",
    `'${decl.name}' is a global function (exported, verified on its own): the kernel lets it take only a struct it may write, and '${g.name}' is read-only (.rodata); declare '${g.name}' with 'let', pass a copy on the stack, or make '${decl.name}' a function that is not exported.`,
    a.span,
  );
}

function checkArgs(cx: CheckCtx, e: A.CallExpr, params: A.Type[], what: string): void {
  if (e.args.length !== params.length)
    report(
      cx,
      "argCount",
      `Expected ${params.length} argument${params.length === 1 ? "" : "s"}, but got ${e.args.length}.`,
      e.span,
    );
  e.args.forEach((a, i) => {
    const p = params[i];
    const t = checkValue(cx, a, p);
    const range = p && outOfRange(cx, a, t, p);
    if (range) report(cx, "notAssignable", range, a.span);
    else if (p && !assignable(t, p, cv(cx, a)))
      report(
        cx,
        "notAssignable",
        `Argument of type '${typeName(t)}' is not assignable to parameter of type '${typeName(p)}' (in a call to '${what}').`,
        a.span,
      );
  });
}

/** redirectMap(map, key, flags), tailCall(ctx, map, index): the map argument must name a map of
 * one of the function's classes; flags take an integer or an XdpAction. */
function mapFunctionCall(cx: CheckCtx, e: A.CallExpr, name: string, f: (typeof MAP_FUNCTIONS)[string]): A.Type {
  if (e.args.length !== f.params.length) {
    checkArgsLoosely(cx, e);
    return fail(cx, "argCount", `Expected ${f.params.length} arguments, but got ${e.args.length}.`, e);
  }
  let map: A.MapDecl | undefined;
  f.params.forEach((p, i) => {
    const a = e.args[i]!;
    if (p === "map") map = mapArg(cx, a, name, f.maps);
    else if (p === "ctx" || p === "flags") {
      const t = checkValue(cx, a);
      const ok = isError(t) || (p === "ctx" ? t.kind === "ctx" : isInt(t) || t.kind === "action");
      if (!ok)
        report(
          cx,
          "notAssignable",
          `Argument of type '${typeName(t)}' is not assignable to parameter of type '${p === "ctx" ? "XdpContext" : "XdpAction | u64"}' (in a call to '${name}').`,
          a.span,
        );
    } else checkArgs(cx, { ...e, args: [a] }, [INT_TYPES[p]], name);
  });
  if (map) e.callee = { kind: "mapFunction", name, map };
  if (name === "tailCall") noHeldRecords(cx, e, name);
  return valueType(f.returns);
}

function mapArg(cx: CheckCtx, a: A.Expr, fn: string, classes: string[]): A.MapDecl | undefined {
  const t = checkExpr(cx, a);
  const b = a.kind === "Identifier" ? a.binding : undefined;
  if (isError(t)) return undefined;
  if (t.kind === "map" && b?.kind === "map" && classes.includes(t.mapKind)) return b.decl;
  report(
    cx,
    "notAssignable",
    `The map argument of '${fn}' must be a ${classes.join(", ")} declared at top level.`,
    a.span,
  );
  return undefined;
}

function checkArgsLoosely(cx: CheckCtx, e: A.CallExpr): void {
  for (const a of e.args) checkExpr(cx, a);
}

function methodCall(cx: CheckCtx, e: A.CallExpr, m: A.MemberExpr): A.Type {
  const ot = checkExpr(cx, m.object);
  m.member = { kind: "method" };
  if (isError(ot)) {
    checkArgsLoosely(cx, e);
    return ERROR;
  }
  const b = m.object.kind === "Identifier" ? m.object.binding : undefined;
  if (ot.kind === "map" && b?.kind === "map") return mapCall(cx, e, m, ot, b.decl);
  if (ot.kind === "ctx") return ctxCall(cx, e, m);
  checkArgsLoosely(cx, e);
  if (ot.kind === "nullable") {
    const name = m.object.kind === "Identifier" ? m.object.name : "Object";
    return fail(cx, "possiblyNull", `'${name}' is possibly 'null'.`, m.object);
  }
  if (ot.kind === "map") return fail(cx, "mapDecl", "Maps can only be used through their declared name.", m.object);
  return fail(cx, "propertyMissing", `Property '${m.property}' does not exist on type '${typeName(ot)}'.`, {
    span: m.propertySpan,
  });
}

function mapCall(cx: CheckCtx, e: A.CallExpr, m: A.MemberExpr, t: A.MapType, decl: A.MapDecl): A.Type {
  const method = MAPS[t.mapKind]?.methods[m.property];
  if (!method) {
    checkArgsLoosely(cx, e);
    if (!MAPS[t.mapKind]) return ERROR; // the map's class was reported at its declaration
    const known = Object.keys(MAPS[t.mapKind]?.methods ?? {}).join(", ");
    const fns = Object.entries(MAP_FUNCTIONS).filter(([, f]) => f.maps.includes(t.mapKind));
    const hint = known
      ? `Map methods: ${known}.`
      : `${t.mapKind} has no methods; pass it to ${fns.map(([n]) => `${n}()`).join(", ")}.`;
    return fail(cx, "propertyMissing", `Property '${m.property}' does not exist on type '${typeName(t)}'. ${hint}`, {
      span: m.propertySpan,
    });
  }
  e.callee = { kind: "mapMethod", map: decl, method: m.property };
  if (m.property === "reserve") return reserveCall(cx, e, decl, t, checkExpr);
  if (method.params[0] === "record") return releaseCall(cx, e, decl, m.property, checkExpr);
  const params = method.params.map((p) =>
    p === "key" ? t.key : p === "value" || p === "record" ? t.value : INT_TYPES[p],
  );
  checkArgs(cx, e, params, `${decl.name}.${m.property}`);
  if (m.property === "set" || m.property === "delete") cx.flow.touch(decl.name);
  if (m.property === "add" && t.value.kind === "struct")
    return fail(
      cx,
      "propertyMissing",
      `'add' needs an integer value; ${decl.name} holds '${t.value.name}': ` +
        `take v = ${decl.name}.get(k) and update a field (v.f += d).`,
      { span: m.propertySpan },
    );
  return method.returns === "value?" ? { kind: "nullable", inner: t.value } : method.returns === "bool" ? BOOL : VOID;
}

function ctxCall(cx: CheckCtx, e: A.CallExpr, m: A.MemberExpr): A.Type {
  const def = CTX_METHODS[m.property];
  if (!def) {
    checkArgsLoosely(cx, e);
    return fail(cx, "propertyMissing", `Property '${m.property}' does not exist on type 'XdpContext'.`, {
      span: m.propertySpan,
    });
  }
  if (m.property !== "header") {
    e.callee = { kind: "ctxMethod", method: m.property };
    checkArgs(
      cx,
      e,
      def.params.map((p) => (p === "header" ? ERROR : INT_TYPES[p])),
      `ctx.${m.property}`,
    );
    if (def.bpfHelper !== undefined) cx.flow.adjust(); // adjustHead/adjustTail
    const r = def.returns;
    return r.endsWith("?")
      ? { kind: "nullable", inner: INT_TYPES[r.slice(0, -1) as IntName] }
      : valueType(r as ValueKind);
  }
  if (e.args.length !== 2) {
    checkArgsLoosely(cx, e);
    return fail(cx, "argCount", `Expected 2 arguments, but got ${e.args.length}.`, e);
  }
  const [h, off] = e.args as [A.Expr, A.Expr];
  const ht = checkExpr(cx, h);
  const hb = h.kind === "Identifier" ? h.binding : undefined;
  const header = hb?.kind === "builtin" && Object.hasOwn(HEADERS, hb.name) ? hb.name : undefined;
  const ot = checkValue(cx, off, INT_TYPES.u32);
  const range = outOfRange(cx, off, ot, INT_TYPES.u32);
  if (range) report(cx, "notAssignable", range, off.span);
  else if (!isError(ot) && !(isInt(ot) && assignable(ot, INT_TYPES.u32, cv(cx, off))))
    report(
      cx,
      "notAssignable",
      `Argument of type '${typeName(ot)}' is not assignable to parameter of type 'u32'.`,
      off.span,
    );
  if (!header) {
    if (!isError(ht))
      report(
        cx,
        "headerArg",
        `The first argument of ctx.header() must be a header type (${Object.keys(HEADERS).join(", ")}).`,
        h.span,
      );
    return ERROR;
  }
  e.callee = { kind: "ctxMethod", method: "header", header };
  return { kind: "nullable", inner: { kind: "header", header } };
}

// ------------------------------------------------------------ logging

function logCall(cx: CheckCtx, e: A.CallExpr, level: 1 | 2 | 3 | 4 | 5): A.Type {
  const [msg, ...extra] = e.args;
  if (!msg || extra.length) {
    checkArgsLoosely(cx, e);
    return fail(cx, "argCount", `Expected 1 argument, but got ${e.args.length}.`, e);
  }
  msg.type = STRING;
  if (msg.kind === "StringLiteral") {
    e.callee = { kind: "log", level, pieces: [msg.value], args: [] };
    return VOID;
  }
  if (msg.kind !== "TemplateLiteral") {
    checkExpr(cx, msg);
    return fail(cx, "logArg", "A log message must be a string literal or a template literal.", msg);
  }
  const args: A.LogArg[] = [];
  for (const x of msg.exprs) {
    const a = logArg(cx, x);
    if (a) args.push(a);
  }
  if (args.length === msg.exprs.length) e.callee = { kind: "log", level, pieces: [...msg.quasis], args };
  return VOID;
}

function logArg(cx: CheckCtx, x: A.Expr): A.LogArg | undefined {
  if (x.kind === "CallExpr" && x.fn.kind === "Identifier") {
    const b = lookup(cx, x.fn.name);
    const fmt = b?.kind === "builtin" ? FORMATS[b.name] : undefined;
    if (fmt && b) {
      x.fn.binding = b;
      x.callee = { kind: "format", format: fmt };
      x.type = STRING;
      if (x.args.length !== 1) {
        checkArgsLoosely(cx, x);
        report(cx, "argCount", `Expected 1 argument, but got ${x.args.length}.`, x.span);
        return undefined;
      }
      const t = checkValue(cx, x.args[0]!);
      if (isError(t)) return undefined;
      const want = fmt === "ipv6" ? "an Ipv6Addr" : "an integer";
      if (fmt === "ipv6" ? t !== IPV6_ADDR : !isInt(t)) {
        report(cx, "logArg", `${x.fn.name}() takes ${want}, not '${typeName(t)}'.`, x.args[0]!.span);
        return undefined;
      }
      return { expr: x.args[0]!, kind: fmt };
    }
  }
  const t = nonNull(cx, x, checkValue(cx, x));
  if (isError(t)) return undefined;
  if (isInt(t)) return { expr: x, kind: t.signed ? "i64" : "u64" };
  if (t.kind === "bool") return { expr: x, kind: "bool" };
  if (t.kind === "action") return { expr: x, kind: "u64" };
  report(
    cx,
    "logArg",
    `Log arguments must be integers, bool or formatter calls ipv4(x), ipv6(x), hex(x), mac(x); got '${typeName(t)}'.`,
    x.span,
  );
  return undefined;
}

function valueType(k: ValueKind): A.Type {
  if (k === "bool") return BOOL;
  if (k === "void") return VOID;
  if (k === "action") return ACTION;
  return INT_TYPES[k];
}

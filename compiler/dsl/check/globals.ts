// Global variables in the checker: takes top-level declarations that are variables rather than
// compile-time constants — `let x: u64 = 0` (.bss when its initial value is all zeros, else .data),
// `const A: FixedArray<u16, 3> = [...]` and const structs (.rodata), and `const N = config<u32>(v)`
// (a load-time constant: `const volatile` in .rodata, set by --set before the map is frozen) — and
// produces their types, bindings, initial bytes and their offsets in each section (C layout, in
// declaration order). Also the rule that .rodata variables are never written from the program.
import type * as A from "../ast.js";
import { alignOf, sizeOf } from "../layout.js";
import { isError, isInt, typeName } from "./types.js";
import { type CheckCtx, checkStore, lookup, report, resolveType } from "./context.js";
import { checkValue } from "./expr.js";

/** The one builtin that declares a load-time constant. */
export const CONFIG = "config";

/** Whether top-level declaration k declares a global variable (not a compile-time constant). */
export function isGlobalDecl(cx: CheckCtx, k: A.ConstDecl, ann: A.Type | undefined): boolean {
  return !!k.mutable || configCall(cx, k.init) !== undefined || ann?.kind === "struct" || ann?.kind === "array";
}

/** `config<T>(v)`: the call, when init is one. */
function configCall(cx: CheckCtx, init: A.Expr): A.CallExpr | undefined {
  if (init.kind !== "CallExpr" || init.fn.kind !== "Identifier") return undefined;
  const b = lookup(cx, init.fn.name);
  return b?.kind === "builtin" && b.name === CONFIG ? init : undefined;
}

/** Checks a global variable's declaration; produces its binding (undefined after an error). */
export function globalDecl(cx: CheckCtx, k: A.ConstDecl, ann: A.Type | undefined): A.Binding | undefined {
  const call = configCall(cx, k.init);
  const type = call ? configType(cx, k, call, ann) : varType(cx, k, ann);
  if (!type) return undefined;
  const init = call ? call.args[0] : k.init;
  if (!init) return undefined;
  cx.inGlobalInit = true;
  checkStore(cx, init, checkValue(cx, init, type), type);
  cx.inGlobalInit = false;
  const bytes = new Uint8Array(sizeOf(type));
  if (!encode(cx, init, type, new DataView(bytes.buffer), 0)) return undefined;
  const section = !k.mutable ? ".rodata" : bytes.some((b) => b !== 0) ? ".data" : ".bss";
  k.type = type;
  k.global = { section, mutable: !!k.mutable, config: !!call, offset: 0, init: bytes };
  return { kind: "global", name: k.name, type, decl: k, global: k.global };
}

function configType(cx: CheckCtx, k: A.ConstDecl, call: A.CallExpr, ann: A.Type | undefined): A.DataType | undefined {
  const arg = call.typeArgs[0] ? resolveType(cx, call.typeArgs[0]) : ann;
  const bad = (message: string, span: A.Span) => void report(cx, "configDecl", message, span);
  if (k.mutable) return bad("config() declares a constant: write 'const', not 'let'.", k.span);
  if (!arg) return bad(`config() needs its type: 'const ${k.name} = config<u32>(1000)'.`, call.span);
  if (isError(arg)) return undefined;
  if (!isInt(arg) && arg.kind !== "bool")
    return bad(`A load-time constant must be an integer or bool, not '${typeName(arg)}'.`, call.span);
  if (call.typeArgs.length > 1 || call.args.length !== 1)
    return bad("config() takes one type argument and one value: config<u32>(1000).", call.span);
  if (ann && !isError(ann) && typeName(ann) !== typeName(arg))
    return bad(`'${k.name}' is declared '${typeName(ann)}' but config gives '${typeName(arg)}'.`, k.span);
  return arg;
}

function varType(cx: CheckCtx, k: A.ConstDecl, ann: A.Type | undefined): A.DataType | undefined {
  if (!ann) {
    report(cx, "globalDecl", `The global variable '${k.name}' needs a type: 'let ${k.name}: u64 = 0'.`, k.nameSpan);
    return undefined;
  }
  if (isError(ann)) return undefined;
  if (isInt(ann) || ann.kind === "bool" || ann.kind === "struct" || ann.kind === "array") return ann;
  report(
    cx,
    "globalDecl",
    `A global variable must be an integer, bool, struct or FixedArray, not '${typeName(ann)}'.`,
    k.typeAnn?.span ?? k.nameSpan,
  );
  return undefined;
}

/** Writes e's constant value of type t at `off`; reports (once) what is not a constant literal. */
function encode(cx: CheckCtx, e: A.Expr, t: A.DataType, v: DataView, off: number): boolean {
  if (t.kind === "int" || t.kind === "bool") {
    const c = e.kind === "BoolLiteral" ? BigInt(e.value) : e.constValue;
    if (c === undefined) return notConstant(cx, e);
    const n = BigInt.asUintN(64, c);
    for (let i = 0; i < sizeOf(t); i++) v.setUint8(off + i, Number((n >> BigInt(8 * i)) & 0xffn));
    return true;
  }
  if (t.kind === "array" && e.kind === "ArrayLiteral")
    return e.elements.every((x, i) => encode(cx, x, t.elem, v, off + i * sizeOf(t.elem)));
  if (t.kind === "struct" && e.kind === "ObjectLiteral")
    return e.props.every((p) => {
      const f = t.fields.find((x) => x.name === p.name);
      return !f || encode(cx, p.value, f.type, v, off + f.offset);
    });
  return notConstant(cx, e);
}

function notConstant(cx: CheckCtx, e: A.Expr): false {
  if (e.type && !isError(e.type))
    report(
      cx,
      "globalDecl",
      "A global variable's initial value must be a constant (integer literals and constants, array and object literals of them).",
      e.span,
    );
  return false;
}

/** Offsets of the globals in their sections: each at its alignment, in declaration order. */
export function layoutGlobals(globals: A.ConstDecl[]): void {
  const end = new Map<string, number>();
  for (const k of globals) {
    const g = k.global!,
      t = k.type as A.DataType;
    const a = alignOf(t);
    g.offset = Math.ceil((end.get(g.section) ?? 0) / a) * a;
    end.set(g.section, g.offset + sizeOf(t));
  }
}

/** The variable a place expression (`G`, `G.f`, `G[i]`, nested) is part of; for a variable naming
 * (part of) a global or a struct parameter, that global or parameter. */
export function placeRoot(cx: CheckCtx, e: A.Expr): A.Binding | undefined {
  let x = e;
  while (x.kind === "MemberExpr" || x.kind === "IndexExpr") x = x.object;
  if (x.kind !== "Identifier" || !x.binding) return undefined;
  return cx.aliasRoots.get(x.binding) ?? x.binding;
}

/** The global variable a place expression is part of, if any. */
export function globalRoot(cx: CheckCtx, e: A.Expr): (A.Binding & { kind: "global" }) | undefined {
  const b = placeRoot(cx, e);
  return b?.kind === "global" ? b : undefined;
}

/** The struct parameter a place expression is part of, if any. */
export function paramRoot(cx: CheckCtx, e: A.Expr): (A.Binding & { kind: "param" }) | undefined {
  const b = placeRoot(cx, e);
  return b?.kind === "param" && b.type.kind === "struct" ? b : undefined;
}

/** After every body: a read-only global struct passed to a function that writes that parameter,
 * itself or through the functions it passes it to (a global function may write every struct it
 * takes), is TSB9065 at the argument (the kernel: "write into map forbidden"). */
export function checkReadOnlyArgs(cx: CheckCtx, fns: A.FunctionDecl[]): void {
  const written = new Map<A.FunctionDecl, Set<number>>();
  const add = (f: A.FunctionDecl, i: number): boolean => {
    const s = written.get(f) ?? new Set<number>();
    written.set(f, s);
    return s.size !== s.add(i).size;
  };
  for (const [f, s] of cx.paramWrites) for (const i of s) add(f, i);
  for (const f of fns) if (f.role === "global") f.params.forEach((p, i) => p.type?.kind === "struct" && add(f, i));
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of cx.paramPasses) if (written.get(p.callee)?.has(p.to) && add(p.from, p.index)) changed = true;
  }
  for (const a of cx.readOnlyArgs)
    if (written.get(a.callee)?.has(a.index))
      report(
        cx,
        "readOnlyGlobal",
        `Cannot pass '${a.global}' to '${a.callee.name}': it is read-only (.rodata), and '${a.callee.name}' writes its parameter '${a.callee.params[a.index]!.name}' (itself or through a function it passes it to); declare it with 'let' or pass a copy on the stack.`,
        a.span,
      );
}

/** A write to (part of) a .rodata variable: report it. */
export function checkWritable(cx: CheckCtx, target: A.Expr): boolean {
  const p = paramRoot(cx, target);
  if (p) cx.paramWrites.set(p.func, (cx.paramWrites.get(p.func) ?? new Set()).add(p.index));
  const g = globalRoot(cx, target);
  if (!g || g.global.mutable) return true;
  const what = g.global.config ? "a load-time constant (set it with --set NAME=VALUE)" : "read-only (.rodata)";
  report(
    cx,
    "readOnlyGlobal",
    `Cannot assign to '${g.name}': it is ${what}; declare it with 'let' to change it.`,
    target.span,
  );
  return false;
}

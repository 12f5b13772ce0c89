// Ring-buffer records written in place: takes `R.reserve()`, `R.submit(e)`, `R.discard(e)` calls,
// uses of the variables holding records, and the places where paths leave a record's scope, and
// enforces the verifier's reference rules at compile time through the flow (flow.ts `held`,
// `released`): a reserved record is submitted or discarded on every path on which it is not null
// (returns and the end of its block included), never used after that, never released twice.
import type * as A from "../ast.js";
import { ERROR, isError, typeName } from "./types.js";
import { type CheckCtx, fail, nonNull, report } from "./context.js";

type Check = (cx: CheckCtx, e: A.Expr) => A.Type;

/** Whether `init` is a `R.reserve()` call (the only place one may stand: `const e = R.reserve()`). */
export function isReserve(init: A.Expr | undefined): init is A.CallExpr {
  return init?.kind === "CallExpr" && init.fn.kind === "MemberExpr" && init.fn.property === "reserve";
}

/** `R.reserve()`: a reference to a new record of R's struct type in the ring, or null when it is full. */
export function reserveCall(cx: CheckCtx, e: A.CallExpr, decl: A.MapDecl, t: A.MapType, checkExpr: Check): A.Type {
  for (const a of e.args) checkExpr(cx, a);
  if (e.args.length) report(cx, "argCount", `Expected 0 arguments, but got ${e.args.length}.`, e.span);
  if (t.value.kind !== "struct")
    return fail(
      cx,
      "recordRule",
      `reserve() needs a struct record type; ${decl.name} carries '${typeName(t.value)}': use ${decl.name}.output(v).`,
      e,
    );
  if (cx.reserving !== e)
    return fail(
      cx,
      "recordRule",
      `A reserved record must be held in a const variable: 'const e = ${decl.name}.reserve();', ` +
        `then submitted or discarded on every path.`,
      e,
    );
  return { kind: "nullable", inner: t.value };
}

/** `const e = R.reserve()` declared b: the record is held on this path until submitted or discarded. */
export function holdRecord(cx: CheckCtx, b: A.Binding, d: A.VarDecl): void {
  const c = d.init as A.CallExpr;
  if (c.callee?.kind !== "mapMethod" || isError(c.type ?? ERROR)) return;
  if (d.mutable) {
    report(cx, "recordRule", `'${d.name}' holds a reserved record: declare it const.`, d.nameSpan);
    return;
  }
  cx.records.set(b, { map: c.callee.map.name, decl: d });
  cx.recordRoots.set(b, b);
  cx.flow.held.add(b);
}

/** `R.submit(e)` / `R.discard(e)`: e must be a record reserved from R, checked non-null, still held. */
export function releaseCall(cx: CheckCtx, e: A.CallExpr, decl: A.MapDecl, method: string, checkExpr: Check): A.Type {
  const [a, ...extra] = e.args;
  if (!a || extra.length) {
    for (const x of e.args) checkExpr(cx, x);
    return fail(cx, "argCount", `Expected 1 argument, but got ${e.args.length}.`, e);
  }
  const t = nonNull(cx, a, checkExpr(cx, a));
  if (isError(t)) return ERROR;
  const b = a.kind === "Identifier" ? a.binding : undefined;
  const r = b && cx.records.get(b);
  if (!b || r?.map !== decl.name)
    return fail(
      cx,
      "recordRule",
      `${decl.name}.${method}() takes a variable holding a record reserved from ${decl.name} ` +
        `('const e = ${decl.name}.reserve()').`,
      a,
    );
  cx.flow.release(b);
  return { kind: "void" };
}

/** The record a struct or array expression refers into (the variable, a field or element of it, an alias). */
export function recordOf(cx: CheckCtx, e: A.Expr): A.Binding | undefined {
  if (e.kind === "Identifier" && e.binding) return cx.recordRoots.get(e.binding);
  if (e.kind === "MemberExpr" && e.member?.kind === "structField") return recordOf(cx, e.object);
  if (e.kind === "IndexExpr") return recordOf(cx, e.object);
  return undefined;
}

/** Use of variable b: an error when it refers into a record submitted or discarded on some path here. */
export function checkRecordUse(cx: CheckCtx, b: A.Binding, e: A.Identifier): boolean {
  const root = cx.recordRoots.get(b);
  if (!root || !cx.flow.released.has(root)) return true;
  const r = cx.records.get(root)!;
  report(
    cx,
    "recordReleased",
    `The record in '${root.name}' was submitted or discarded${cx.flow.held.has(root) ? " on some path" : ""}: ` +
      `it cannot be used after ${r.map}.submit()/discard(), nor released twice.`,
    e.span,
  );
  return false;
}

/** A path leaves the scope of the records in `held` here (a return, the end of their block). */
export function leaveRecords(cx: CheckCtx, records: Iterable<A.Binding>, at: A.Span | undefined, how: string): void {
  if (cx.flow.dead) return;
  for (const b of records) {
    if (!cx.flow.held.has(b)) continue;
    const r = cx.records.get(b)!;
    report(
      cx,
      "recordLeak",
      `The record reserved in '${b.name}' (line ${r.decl.span.line}) is not submitted or discarded on every path ` +
        `${how}: call ${r.map}.submit(${b.name}) or ${r.map}.discard(${b.name}) first.`,
      at ?? r.decl.nameSpan,
    );
    cx.flow.held.delete(b); // reported once
  }
}

/** tailCall() while a record is held: the kernel refuses it (the reference would leak). */
export function noHeldRecords(cx: CheckCtx, e: A.CallExpr, what: string): void {
  const b = [...cx.flow.held][0];
  if (b)
    report(
      cx,
      "recordLeak",
      `${what}() cannot be called while the record in '${b.name}' is reserved: submit or discard it first.`,
      e.span,
    );
}

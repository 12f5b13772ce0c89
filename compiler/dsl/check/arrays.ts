// Arrays in the checker: takes array literals and `a[i]` element accesses and produces their types
// (FixedArray<T, N> from check/types.ts, laid out by layout.ts), reporting a literal of the wrong
// length or with no array type expected, a non-integer index and a constant index outside 0..N-1.
// A variable index is checked at run time by the lowering (an element outside reads 0, writes nothing).
import type * as A from "../ast.js";
import { INT_TYPES } from "../catalog.js";
import { BOOL, ERROR, isError, isInt, typeName } from "./types.js";
import { type CheckCtx, checkStore, fail, nonNull, report, untypedLiteral } from "./context.js";
import { onStack } from "./structs.js";

type Check = (e: A.Expr, t: A.Type | undefined) => A.Type;

/** `[a, b, …]`: a value of the FixedArray type its context expects, one element per slot. */
export function arrayLiteral(cx: CheckCtx, e: A.ArrayLiteral, expected: A.Type | undefined, check: Check): A.Type {
  if (expected?.kind !== "array")
    return untypedLiteral(cx, e, e.elements, expected, (x) => check(x, undefined), "arrayType", {
      literal: "array literal",
      needs: "a FixedArray type",
      example: "const a: FixedArray<u16, 3> = [80, 443, 8080]",
    });
  const elem = expected.elem.kind === "bool" ? BOOL : expected.elem;
  for (const x of e.elements) checkStore(cx, x, check(x, elem), elem);
  if (e.elements.length !== expected.length)
    report(
      cx,
      "arrayType",
      `'${typeName(expected)}' takes ${expected.length} elements, but the literal has ${e.elements.length}.`,
      e.span,
    );
  onStack(cx, expected, e);
  return expected;
}

/** `a[i]`: an element of a FixedArray; i is an integer, within 0..N-1 when it is a constant. */
export function indexExpr(cx: CheckCtx, e: A.IndexExpr, check: Check): A.Type {
  const at = nonNull(cx, e.object, check(e.object, undefined));
  const it = nonNull(cx, e.index, check(e.index, INT_TYPES.u32));
  if (isError(at)) return ERROR;
  if (at.kind !== "array")
    return fail(cx, "arrayType", `Only FixedArray values can be indexed, not '${typeName(at)}'.`, e.object);
  if (!isError(it) && !isInt(it))
    report(cx, "notAssignable", `An array index must be an integer, not '${typeName(it)}'.`, e.index.span);
  const i = e.index.constValue;
  if (i !== undefined && (i < 0n || i >= BigInt(at.length)))
    report(cx, "indexRange", `Index ${i} is outside '${typeName(at)}' (0..${at.length - 1}).`, e.index.span);
  return at.elem.kind === "bool" ? BOOL : at.elem;
}

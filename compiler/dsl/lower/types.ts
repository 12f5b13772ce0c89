// What the lowering's modules share: takes nothing; produces the kinds of values a name or an
// expression lowers to (integers, header views, map values, struct places, ctx), the per-object tables
// (LowerShared), the lowering's error, and the integer type an AST type is lowered as.
import type * as A from "../ast.js";
import { INT_TYPES } from "../catalog.js";
import type { Diagnostic } from "../../diagnostics.js";
import type { LogFormat, MapDef } from "../../object.js";
import type { Reg, Val } from "../ir.js";
import type { LoopMode } from "../../build-api.js";

export type Int = A.IntType;
export const U64 = INT_TYPES.u64,
  U32 = INT_TYPES.u32,
  U8 = INT_TYPES.u8,
  I32 = INT_TYPES.i32;

/** A packet view from ctx.header: the bytes [base + off, base + off + size), valid in `epoch`. */
export interface HeaderVal {
  k: "hdr";
  header: string;
  base: Reg;
  off: number;
  size: number;
  epoch: number;
  varBase: boolean;
}
/** A map value: `ptr` from the lookup (null when absent) and, for `get`, the value read at the call. */
export interface MapValPtr {
  k: "mapval";
  ptr: Reg;
  type: Int;
  val?: Reg;
}
/** A value in memory at base + off: base r10 is a stack slot, else a pointer into a map value or
 * the stack (null when `nullable` and the lookup failed); `atomic`: a shared map's value (op= is
 * atomic). Variables name struct and array places; integer places are array elements. */
export interface PlaceVal {
  k: "place";
  type: A.DataType;
  base: Reg;
  off: number;
  atomic: boolean;
  nullable?: boolean;
  /** A read-only global's bytes (not a load-time constant), its offset `at`: reads at a constant
   * offset are folded (as clang folds a `const` array it can see). */
  fixed?: { bytes: Uint8Array; at: number };
  /** A MAC field: 6 wire bytes read as a 48-bit host-order value (A.StructField.mac). */
  mac?: true;
}
export type IntLocal = { k: "int"; reg: Reg; type: Int; mutable: boolean };
export type Local = IntLocal | { k: "const"; v: Val; type: Int } | HeaderVal | MapValPtr | PlaceVal | { k: "ctx" };

export class LowerError extends Error {
  constructor(readonly diag: Diagnostic) {
    super(diag.message);
  }
}

/** A helper function compiled as a BPF subprogram: per parameter, whether a struct argument is a
 * shared map's value at some call site (its `op=` on 4- and 8-byte fields are then atomic). */
export interface CalledFunction {
  atomic: boolean[];
}

/** Tables one object's programs fill in together. */
export interface LowerShared {
  maps: Map<string, MapDef>;
  logFormats: LogFormat[];
  usesLogs: boolean;
  /** Helper functions called as BPF subprograms (the others are inlined). */
  called?: Map<A.FunctionDecl, CalledFunction>;
  /** BuildOptions.loops (compiler/dsl/unroll.ts); undefined: "auto". */
  loops?: LoopMode;
}

export function intOf(t: A.Type | undefined): Int {
  if (!t) return U64;
  if (t.kind === "int") return t;
  if (t.kind === "bool") return U8;
  if (t.kind === "action") return U32;
  if (t.kind === "nullable" && t.inner.kind === "int") return t.inner;
  return U64;
}

export function exprInt(e: A.Expr): Int {
  return intOf(e.type);
}

/** Whether t is lowered as an integer (int, bool, action). */
export function isIntLike(t: A.Type | undefined): boolean {
  return t?.kind === "int" || t?.kind === "bool" || t?.kind === "action";
}

/** The comparison operators are int-rule.ts's (condFor gives their jump). */
export { isCompareOp as isCompare } from "../int-rule.js";

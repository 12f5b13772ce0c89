// Lowering of integer operations by the rule of int-rule.ts: takes checked integer expressions and
// emits IR. A register holds an expression's full 64-bit value (variables, fields and map values
// hold their type's value, zero- or sign-extended); values are narrowed only where they are stored
// or converted with `as`. Where only the low 32 bits of a result matter (it is then narrowed to
// 32 bits or less), + - * & | ^ ~ and constant << use 32-bit ALU operations, which give the same
// low bits and zero-extend, so a u32 destination needs no extra instruction. Operands are lowered
// through LowerCtx.value.
import type * as A from "../ast.js";
import { INT_TYPES } from "../catalog.js";
import type { Cond, Val } from "../ir.js";
import {
  type ArithOp,
  type CompareOp,
  aluFor,
  binary,
  compare,
  condFor,
  fits,
  inDomain,
  isShift,
  isU64,
  low32Safe,
  narrow,
  resultType,
  widens,
} from "../int-rule.js";
import type { LowerCtx } from "./core.js";
import { exprInt } from "./types.js";

type Int = A.IntType;
const I64 = INT_TYPES.i64;
const U64 = INT_TYPES.u64;

/** Whether e's value is always a value of its static type (no narrowing needed to store it there). */
export function inRange(e: A.Expr): boolean {
  const t = exprInt(e);
  if (e.constValue !== undefined) return fits(inDomain(e.constValue, t), t);
  const within = (x: A.Expr): boolean => inRange(x) && widens(exprInt(x), t);
  switch (e.kind) {
    case "Identifier":
    case "MemberExpr":
    case "CallExpr":
    case "AsExpr":
    case "IntLiteral":
    case "BoolLiteral":
      return true;
    case "UnaryExpr":
      return e.op === "!" || (e.op === "+" && within(e.operand));
    case "LogicalExpr":
      return e.op !== "??" || within(e.right);
    case "ConditionalExpr":
      return within(e.then) && within(e.else);
    case "BinaryExpr":
      return binaryInRange(e, t, within);
    default:
      return false;
  }
}

function binaryInRange(e: A.BinaryExpr, t: Int, within: (x: A.Expr) => boolean): boolean {
  switch (e.op) {
    case "&":
      return t.signed ? within(e.left) && within(e.right) : within(e.left) || within(e.right);
    case "|":
    case "^":
    case "%":
      return within(e.left) && within(e.right);
    case "/":
      return !t.signed && within(e.left) && within(e.right);
    case ">>":
      return within(e.left);
    case ">>>":
      return !t.signed && within(e.left);
    case "+":
    case "-":
    case "*":
    case "<<":
    case "**":
      return false;
    default:
      return true; // comparisons: 0 or 1
  }
}

/** Whether e's value is never negative (comparisons of two such values may use unsigned jumps). */
function nonNeg(e: A.Expr): boolean {
  const t = exprInt(e);
  if (e.constValue !== undefined) return inDomain(e.constValue, t) >= 0n;
  return !t.signed && inRange(e);
}

/** Narrow a 64-bit value to t (zext32: it is already zero-extended from 32 bits). */
export function narrowVal(L: LowerCtx, v: Val, t: Int, zext32 = false): Val {
  if (typeof v === "bigint") return narrow(v, t);
  if (t.bits === 64) return v;
  if (!t.signed && t.bits === 32) {
    if (zext32) return v;
    const d = L.reg();
    L.emit({ op: "mov", dst: d, src: v, w32: true });
    return d;
  }
  if (!t.signed) return L.alu("and", v, (1n << BigInt(t.bits)) - 1n, true);
  const sh = BigInt(64 - t.bits);
  return L.alu("arsh", L.alu("lsh", v, sh, false), sh, false);
}

/** e's value narrowed to t (a store, a parameter, a return, `as`). */
export function narrowTo(L: LowerCtx, e: A.Expr, t: Int): Val {
  if (e.constValue !== undefined) return narrow(e.constValue, t);
  if (inRange(e) && widens(exprInt(e), t)) return L.value(e);
  if (t.bits === 64) return L.value(e);
  const r = low32(L, e);
  return narrowVal(L, r.v, t, r.zext);
}

/** A value whose low t.bits bits are e's (for stores of exactly t's size to memory). */
export function lowBits(L: LowerCtx, e: A.Expr, t: Int): Val {
  return t.bits <= 32 ? low32(L, e).v : L.value(e);
}

/** A value whose low 32 bits are e's; zext: its upper 32 bits are zero. */
export function low32(L: LowerCtx, e: A.Expr): { v: Val; zext: boolean } {
  if (e.constValue !== undefined) return { v: BigInt.asUintN(32, e.constValue), zext: true };
  if (e.kind === "BinaryExpr" && low32Safe(e.op))
    return { v: alu32(L, e.op as ArithOp, low32(L, e.left).v, low32(L, e.right).v), zext: true };
  if (e.kind === "BinaryExpr" && e.op === "<<" && e.right.constValue !== undefined) {
    const n = BigInt.asUintN(64, e.right.constValue) & 63n;
    const left = low32(L, e.left).v; // evaluated even when shifted out: it may call a helper that logs
    return { v: n >= 32n ? 0n : alu32(L, "<<", left, n), zext: true };
  }
  if (e.kind === "UnaryExpr" && e.op === "-") return { v: alu32(L, "-", 0n, low32(L, e.operand).v), zext: true };
  if (e.kind === "UnaryExpr" && e.op === "~")
    return { v: alu32(L, "^", low32(L, e.operand).v, 0xffffffffn), zext: true };
  if (e.kind === "AsExpr" && exprInt(e).bits >= 32) return low32(L, e.expr);
  const t = exprInt(e);
  return { v: L.value(e), zext: !t.signed && t.bits <= 32 && inRange(e) };
}

function alu32(L: LowerCtx, op: ArithOp, a: Val, b: Val): Val {
  if (typeof a === "bigint" && typeof b === "bigint") return BigInt.asUintN(32, binary(op, a, b, I64));
  return L.alu(aluFor(op, I64), a, b, true);
}

/** `a op b` on 64-bit values, t the expression's static type. */
export function arith(L: LowerCtx, op: ArithOp, a: Val, b: Val, t: Int): Val {
  if (isShift(op)) b = typeof b === "bigint" ? BigInt.asUintN(64, b) & 63n : L.alu("and", b, 63n, false);
  if (typeof a === "bigint" && typeof b === "bigint") return binary(op, a, b, t);
  if ((op === "/" || op === "%") && b === 0n) return op === "/" ? 0n : a; // as BPF computes them (the verifier refuses an immediate 0)
  return L.alu(aluFor(op, t), a, b, false);
}

/** The binary expression e (not a comparison). */
export function binaryValue(L: LowerCtx, e: A.BinaryExpr): Val {
  const t = divOfNonNeg(e.op, e.left, e.right) ? U64 : exprInt(e);
  return arith(L, e.op as ArithOp, L.value(e.left), L.value(e.right), t);
}

/** `/` or `%` of two values never negative: signed and unsigned agree, so the v1 `div`/`mod` serve
 * (u32 % 100 needs no v4 `smod`, kernel ≥ 6.6). */
function divOfNonNeg(op: string, a: A.Expr, b: A.Expr): boolean {
  return (op === "/" || op === "%") && nonNeg(a) && nonNeg(b);
}

/** `-x`, `~x`, `+x`. */
export function unaryValue(L: LowerCtx, e: A.UnaryExpr): Val {
  const t = exprInt(e);
  const v = L.value(e.operand);
  if (e.op === "-") return arith(L, "-", 0n, v, t);
  if (e.op === "~") return arith(L, "^", v, -1n, t);
  return v;
}

/** `cur op= e` stored into a destination of type dst: the narrowed result. */
export function compound(L: LowerCtx, op: ArithOp, cur: Val, dst: Int, e: A.Expr): Val {
  if (
    dst.bits <= 32 &&
    (low32Safe(op) || (op === "<<" && e.constValue !== undefined && BigInt.asUintN(64, e.constValue) % 64n < 32n))
  )
    return narrowVal(
      L,
      alu32(L, op, cur, op === "<<" ? BigInt.asUintN(64, e.constValue!) % 64n : low32(L, e).v),
      dst,
      true,
    );
  const unsigned = !dst.signed && (op === "/" || op === "%") && nonNeg(e); // cur holds dst's value: never negative
  return narrowVal(L, arith(L, op, cur, L.value(e), unsigned ? U64 : resultType(op, dst, exprInt(e))), dst);
}

/** The jump condition and operands of a comparison. */
export function comparison(L: LowerCtx, e: A.BinaryExpr): { cc: Cond; a: Val; b: Val } {
  const u64 = isU64(exprInt(e.left)) || isU64(exprInt(e.right));
  const a = L.value(e.left),
    b = L.value(e.right);
  return { cc: condFor(e.op as CompareOp, u64 || (nonNeg(e.left) && nonNeg(e.right))), a, b };
}

/** A comparison of two constants. */
export function compareConst(e: A.BinaryExpr, a: bigint, b: bigint): boolean {
  return compare(e.op as CompareOp, a, b, isU64(exprInt(e.left)) || isU64(exprInt(e.right)));
}

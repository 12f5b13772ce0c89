// The DSL's integer rule, in one place: the checker's and the lowering's constant folding, the
// optimiser's folding of BPF instructions and the instructions the lowering picks all come from
// here. Takes bigint values and IntTypes; produces bigint values, types and BPF op choices.
//
// Values: an operand narrower than 64 bits is widened to i64 (zero-extended if unsigned,
// sign-extended if signed); if either operand is u64 the operation is done in u64 (a shift: if its
// left operand is u64). Results wrap modulo 2^64. A value is narrowed (keeps its low bits,
// reinterpreted as signed for signed types) only where it is stored or by `as`. So the value of an
// expression of static type T is a 64-bit integer read as u64 when T is u64, else as i64 — its
// "domain". Shift counts use their low 6 bits; x / 0 is 0 and x % 0 is x (as BPF defines them).
// Static types: an expression's type is its widest operand's (equal widths, mixed signedness:
// unsigned); implicit conversions only widen. Untyped constants (literals and what is made of
// them alone) are exact and take the type the context asks for when they fit.
import type { IntType } from "./ast.js";
import { INT_TYPES } from "./catalog.js";
import type { AluOp, Cond } from "./ir.js";
import { binOp, cmp, neg } from "../isa/semantics.js";

export type ArithOp = "+" | "-" | "*" | "/" | "%" | "&" | "|" | "^" | "<<" | ">>" | ">>>";
/** `**` folds between constants only (no BPF instruction computes it). */
export type ConstOp = ArithOp | "**";
export type CompareOp = "==" | "!=" | "===" | "!==" | "<" | "<=" | ">" | ">=";

const COMPARE_OPS: ReadonlySet<string> = new Set<CompareOp>(["==", "!=", "===", "!==", "<", "<=", ">", ">="]);
/** Whether `op` compares (its value is a bool; condFor gives its jump). */
export const isCompareOp = (op: string): op is CompareOp => COMPARE_OPS.has(op);
export const isShift = (op: string): boolean => op === "<<" || op === ">>" || op === ">>>";
/** Whether expressions of static type t compute in u64 (else i64). */
export const isU64 = (t: IntType): boolean => t.bits === 64 && !t.signed;

// ---------------------------------------------------------------- static types

/** The static type of `a op b`: the wider; equal widths with mixed sign → unsigned; shifts: a's. */
export function resultType(op: string, a: IntType, b: IntType): IntType {
  if (isShift(op)) return a;
  if (a.bits !== b.bits) return a.bits > b.bits ? a : b;
  return a.signed ? b : a;
}

/** Implicit conversion: same type, or widening that keeps every value (u8 → u16/i16/…). */
export function widens(src: IntType, dst: IntType): boolean {
  if (src.name === dst.name) return true;
  if (src.signed === dst.signed) return dst.bits > src.bits;
  return !src.signed && dst.signed && dst.bits > src.bits;
}

/** The default type of an untyped constant (undefined when it does not fit in 64 bits). */
export function literalType(v: bigint): IntType | undefined {
  if (v >= 0n) return v < 1n << 32n ? INT_TYPES.u32 : v < 1n << 64n ? INT_TYPES.u64 : undefined;
  return v >= -(1n << 31n) ? INT_TYPES.i32 : v >= -(1n << 63n) ? INT_TYPES.i64 : undefined;
}

/** Whether v is a value of type t. */
export function fits(v: bigint, t: IntType): boolean {
  const b = BigInt(t.bits);
  return t.signed ? v >= -(1n << (b - 1n)) && v < 1n << (b - 1n) : v >= 0n && v < 1n << b;
}

/** Whether an untyped constant takes type t next to an operand of type t: it fits (a negative one: t's signed twin). */
export function constTakes(v: bigint, t: IntType): boolean {
  return fits(v, t) || (v < 0n && fits(v, { ...t, signed: true }));
}

// ---------------------------------------------------------------- values

/** Narrowing (a store or `as`): keep t's low bits, reinterpreted as signed for signed t. */
export function narrow(v: bigint, t: IntType): bigint {
  return t.signed ? BigInt.asIntN(t.bits, v) : BigInt.asUintN(t.bits, v);
}

/** A 64-bit value read in the domain of static type t (u64 for u64, else i64). */
export function inDomain(v: bigint, t: IntType): bigint {
  return isU64(t) ? BigInt.asUintN(64, v) : BigInt.asIntN(64, v);
}

/** `a op b` where t is the expression's static type (resultType): operands are 64-bit values. */
export function binary(op: ConstOp, a: bigint, b: bigint, t: IntType): bigint {
  const x = inDomain(a, t),
    y = inDomain(b, t);
  const n = BigInt.asUintN(64, b) & 63n;
  switch (op) {
    case "+":
      return inDomain(x + y, t);
    case "-":
      return inDomain(x - y, t);
    case "*":
      return inDomain(x * y, t);
    case "/":
      return y === 0n ? 0n : inDomain(x / y, t);
    case "%":
      return y === 0n ? x : inDomain(x % y, t);
    case "&":
      return inDomain(x & y, t);
    case "|":
      return inDomain(x | y, t);
    case "^":
      return inDomain(x ^ y, t);
    case "<<":
      return inDomain(x << n, t);
    case ">>":
      return inDomain(x >> n, t);
    case ">>>":
      return inDomain(BigInt.asUintN(64, x) >> n, t);
    case "**":
      return y < 0n ? 0n : inDomain(powMod64(x, y), t);
  }
}

function powMod64(x: bigint, y: bigint): bigint {
  let r = 1n;
  for (let base = BigInt.asUintN(64, x); y > 0n; y >>= 1n, base = BigInt.asUintN(64, base * base))
    if (y & 1n) r = BigInt.asUintN(64, r * base);
  return r;
}

/** `-a`, `~a`, `+a` for an operand of static type t. */
export function unary(op: "-" | "~" | "+", a: bigint, t: IntType): bigint {
  const x = inDomain(a, t);
  return inDomain(op === "-" ? -x : op === "~" ? ~x : x, t);
}

/** `a op b`; u64: either operand's static type is u64 (both compare as u64), else both as i64. */
export function compare(op: CompareOp, a: bigint, b: bigint, u64: boolean): boolean {
  const x = u64 ? BigInt.asUintN(64, a) : BigInt.asIntN(64, a);
  const y = u64 ? BigInt.asUintN(64, b) : BigInt.asIntN(64, b);
  switch (op) {
    case "==":
    case "===":
      return x === y;
    case "!=":
    case "!==":
      return x !== y;
    case "<":
      return x < y;
    case "<=":
      return x <= y;
    case ">":
      return x > y;
    case ">=":
      return x >= y;
  }
}

/** Whether a constant shift count is allowed (0..63). */
export const shiftCountOk = (n: bigint): boolean => n >= 0n && n <= 63n;

/** Untyped constants (literals alone) fold exactly; undefined: division by zero. */
export function exact(op: ConstOp, a: bigint, b: bigint): bigint | undefined {
  switch (op) {
    case "**":
      return b < 0n ? 0n : a ** (b > 128n ? 128n : b);
    case "/":
    case "%":
      if (b === 0n) return undefined;
      return op === "/" ? a / b : a % b;
    case "<<":
      return a << b;
    case ">>":
      return a >> b;
    case ">>>":
      return BigInt.asUintN(64, a) >> b;
    default:
      return plain(op, a, b);
  }
}

function plain(op: "+" | "-" | "*" | "&" | "|" | "^", a: bigint, b: bigint): bigint {
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "&":
      return a & b;
    case "|":
      return a | b;
    case "^":
      return a ^ b;
  }
}

// ---------------------------------------------------------------- code: which BPF operation

/** The 64-bit BPF ALU operation computing `op` on 64-bit operands for static type t. */
export function aluFor(op: ArithOp, t: IntType): AluOp {
  const u = isU64(t);
  switch (op) {
    case "+":
      return "add";
    case "-":
      return "sub";
    case "*":
      return "mul";
    case "/":
      return u ? "div" : "sdiv";
    case "%":
      return u ? "mod" : "smod";
    case "&":
      return "and";
    case "|":
      return "or";
    case "^":
      return "xor";
    case "<<":
      return "lsh";
    case ">>":
      return u ? "rsh" : "arsh";
    case ">>>":
      return "rsh";
  }
}

/** Operators whose low 32 result bits depend only on the operands' low 32 bits (32-bit ALU ops give them). */
export const low32Safe = (op: string): boolean =>
  op === "+" || op === "-" || op === "*" || op === "&" || op === "|" || op === "^";

/** The jump condition for `a op b`: unsigned when compared as u64 or when both are known non-negative. */
export function condFor(op: CompareOp, unsigned: boolean): Cond {
  switch (op) {
    case "==":
    case "===":
      return "eq";
    case "!=":
    case "!==":
      return "ne";
    case "<":
      return unsigned ? "lt" : "slt";
    case "<=":
      return unsigned ? "le" : "sle";
    case ">":
      return unsigned ? "gt" : "sgt";
    case ">=":
      return unsigned ? "ge" : "sge";
  }
}

// ---------------------------------------------------------------- the machine: what BPF instructions compute

const toS64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const toU64 = (v: bigint): bigint => BigInt.asUintN(64, v);

/** A BPF ALU instruction on 64-bit (or 32-bit, zero-extended) registers, on the signed view of
 * register values the IR uses; as in BPF, x / 0 = 0 and x % 0 = x. */
export function evalAlu(op: AluOp, a: bigint, b: bigint, w32: boolean): bigint {
  const bits = w32 ? 32 : 64;
  return toS64(op === "neg" ? neg(bits)(toU64(a)) : binOp(op, bits)!(toU64(a), toU64(b)));
}

/** A BPF conditional jump's test on 64-bit (or 32-bit) registers. */
export function evalCond(cc: Cond, a: bigint, b: bigint, w32: boolean): boolean {
  const bits = w32 ? 32 : 64;
  return cmp(`j${cc}`, bits)!(BigInt.asUintN(bits, a), BigInt.asUintN(bits, b));
}

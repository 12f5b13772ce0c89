// The reference model of the DSL's integer rule for the differential test (README "Integers"),
// written from the rule with BigInt and independent of the compiler: static types (widest operand,
// literals typed by their sibling), 64-bit evaluation (i64, or u64 when an operand is u64),
// narrowing by `as` and when printed in a log. Takes operand descriptions, produces typed values.

export interface IntTy {
  name: string;
  bits: number;
  signed: boolean;
}
/** A literal has no type of its own until it meets a typed operand. */
export type Ty = IntTy | "lit" | "bool";
/** A generated expression: its source, static type, model value and whether the checker folds it. */
export interface Ex {
  code: string;
  t: Ty;
  v: bigint;
  konst: boolean;
}

export const TYPES: IntTy[] = [8, 16, 32, 64].flatMap((bits) =>
  [false, true].map((signed) => ({ name: `${signed ? "i" : "u"}${bits}`, bits, signed })),
);
export const tyOf = (name: string): IntTy => TYPES.find((t) => t.name === name)!;
const U32 = tyOf("u32"),
  U64 = tyOf("u64"),
  I32 = tyOf("i32"),
  I64 = tyOf("i64");

const lo = (t: IntTy): bigint => (t.signed ? -(2n ** BigInt(t.bits - 1)) : 0n);
const hi = (t: IntTy): bigint => (t.signed ? 2n ** BigInt(t.bits - 1) - 1n : 2n ** BigInt(t.bits) - 1n);
export const inside = (v: bigint, t: IntTy): boolean => v >= lo(t) && v <= hi(t);
/** Keep the low bits of v as a value of t. */
export function cut(v: bigint, t: IntTy): bigint {
  const m = 2n ** BigInt(t.bits);
  const r = ((v % m) + m) % m;
  return t.signed && r > hi(t) ? r - m : r;
}
export const isU64 = (t: Ty): boolean => t !== "lit" && t !== "bool" && t.bits === 64 && !t.signed;
/** The value read in 64 bits: as u64 when u, else as i64. */
const in64 = (v: bigint, u: boolean): bigint => cut(v, u ? U64 : I64);

/** A literal's own type: the smallest of u32, u64 (non-negative) or i32, i64. */
export function litTy(v: bigint): IntTy {
  if (v >= 0n) return v <= hi(U32) ? U32 : U64;
  return v >= lo(I32) ? I32 : I64;
}

/** The type a literal takes next to an operand of type t (comparisons: only when it fits exactly). */
export function litNextTo(v: bigint, t: IntTy, comparison: boolean): IntTy {
  if (inside(v, t)) return t;
  if (!comparison && v < 0n && inside(v, { ...t, signed: true })) return t;
  return litTy(v);
}

/** The static types of `a op b`'s operands once literals have met their sibling. */
export function operandTypes(a: Ex, b: Ex, comparison: boolean): [IntTy, IntTy] {
  const ta =
    a.t === "lit" ? (b.t === "lit" || b.t === "bool" ? litTy(a.v) : litNextTo(a.v, b.t, comparison)) : (a.t as IntTy);
  const tb =
    b.t === "lit"
      ? a.t === "lit" || a.t === "bool"
        ? litTy(b.v)
        : litNextTo(b.v, a.t as IntTy, comparison)
      : (b.t as IntTy);
  return [ta, tb];
}

/** Widest operand; at equal widths, unsigned wins. */
export function widest(a: IntTy, b: IntTy): IntTy {
  if (a.bits !== b.bits) return a.bits > b.bits ? a : b;
  return a.signed ? b : a;
}

/** `a op b` for + - * / % & | ^ << >> >>> (b non-zero for / %). */
export function arith(op: string, a: Ex, b: Ex): { t: IntTy; v: bigint } {
  const [ta, tb] = operandTypes(a, b, false);
  const shift = op === "<<" || op === ">>" || op === ">>>";
  const t = shift ? ta : widest(ta, tb);
  const u = isU64(t);
  const x = in64(a.v, u),
    y = in64(b.v, u);
  const n = cut(b.v, U64) % 64n;
  const r: Record<string, () => bigint> = {
    "+": () => x + y,
    "-": () => x - y,
    "*": () => x * y,
    "/": () => x / y,
    "%": () => x % y,
    "&": () => x & y,
    "|": () => x | y,
    "^": () => x ^ y,
    "<<": () => x * 2n ** n,
    ">>": () => (x >= 0n ? x / 2n ** n : -((-x + 2n ** n - 1n) / 2n ** n)),
    ">>>": () => cut(x, U64) / 2n ** n,
  };
  return { t, v: in64(r[op]!(), u) };
}

/** `-x`, `~x`, `+x` for a typed x. */
export function unary(op: string, x: Ex): bigint {
  const u = isU64(x.t);
  const v = in64(x.v, u);
  return in64(op === "-" ? -v : op === "~" ? -v - 1n : v, u);
}

/** `a op b` for < <= > >= == != === !==: compared as u64 when either is u64, else as i64. */
export function compare(op: string, a: Ex, b: Ex): boolean {
  const [ta, tb] = operandTypes(a, b, true);
  const u = isU64(ta) || isU64(tb);
  const x = in64(a.v, u),
    y = in64(b.v, u);
  switch (op) {
    case "<":
      return x < y;
    case "<=":
      return x <= y;
    case ">":
      return x > y;
    case ">=":
      return x >= y;
    case "==":
    case "===":
      return x === y;
    default:
      return x !== y;
  }
}

/** Whether comparing a and b needs an `as` (a u64 against a signed operand that is not a constant >= 0). */
export function needsCast(a: Ex, b: Ex): boolean {
  const [ta, tb] = operandTypes(a, b, true);
  const bad = (t: IntTy, e: Ex): boolean => t.signed && !(e.konst && e.v >= 0n);
  return (isU64(ta) && bad(tb, b)) || (isU64(tb) && bad(ta, a));
}

/** What a log prints for a value of static type t: narrowed to t; bools as true/false. */
export function printed(e: Ex): string {
  if (e.t === "bool") return e.v ? "true" : "false";
  return cut(e.v, e.t === "lit" ? litTy(e.v) : e.t).toString();
}

// Value ranges for the optimiser: takes the single definitions of a function's virtual registers
// and gives an upper bound of a value (as an unsigned 64-bit number), from loads, masks, shifts,
// sums, products and 32-bit ops — the bounds the kernel verifier tracks as well (division and
// modulo are left out: the verifier forgets their range). With it, a mask that keeps every bit a
// value can have becomes a copy, a 32-bit copy of a value below 2^32 a plain copy, two masks in a
// row one, and an unsigned comparison the bound decides becomes a jump.
import {
  type Cond,
  type Func,
  type Op,
  type Reg,
  type Term,
  type Val,
  defs,
  isVreg,
  liveIns,
  rpo,
  successors,
} from "../ir.js";

export type SingleDefs = ReadonlyMap<Reg, Op>;

const U64 = (1n << 64n) - 1n;
const U32 = (1n << 32n) - 1n;
const MAX_DEPTH = 24;

const bitsCap = (n: bigint): bigint => (n === 0n ? 0n : (1n << BigInt(n.toString(2).length)) - 1n);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** The largest unsigned value `v` can hold (U64 when nothing is known). */
export function upper(sd: SingleDefs, v: Val, depth = 0): bigint {
  if (typeof v === "bigint") return BigInt.asUintN(64, v);
  const o = isVreg(v) && depth < MAX_DEPTH ? sd.get(v) : undefined;
  return o ? defUpper(o, (x) => upper(sd, x, depth + 1)) : U64;
}

/** The largest value op `o` can define, given the largest value of each operand. */
export function defUpper(o: Op, up: (x: Val) => bigint): bigint {
  switch (o.op) {
    case "mov":
      return o.w32 ? min(typeof o.src === "bigint" ? BigInt.asUintN(32, o.src) : up(o.src), U32) : up(o.src);
    case "load":
      return (1n << BigInt(o.size * 8)) - 1n;
    case "swap":
      return o.bits === 64 ? U64 : (1n << BigInt(o.bits)) - 1n;
    case "alu":
      return aluUpper(o, up);
    default:
      return U64;
  }
}

function aluUpper(o: Extract<Op, { op: "alu" }>, up: (x: Val) => bigint): bigint {
  const cap = o.w32 ? U32 : U64;
  const operand = (x: Val): bigint => (typeof x === "bigint" ? BigInt.asUintN(o.w32 ? 32 : 64, x) : min(up(x), cap));
  const a = operand(o.a),
    b = o.alu === "neg" ? 0n : operand(o.b);
  const capped = (n: bigint): bigint => (n <= cap ? n : cap);
  switch (o.alu) {
    case "and":
      return min(a, b);
    case "or":
    case "xor":
      return bitsCap(a > b ? a : b);
    case "add":
      return capped(a + b);
    case "mul":
      return capped(a * b);
    case "lsh":
      return typeof o.b === "bigint" && b < 64n ? capped(a << b) : cap;
    case "rsh":
      return typeof o.b === "bigint" ? a >> (b & 63n) : a;
    default:
      return cap;
  }
}

const isMask = (m: bigint): boolean => m >= 0n && (m & (m + 1n)) === 0n;

/** An op the bounds make simpler (or the op itself). */
export function simplifyByRange(o: Op, sd: SingleDefs): Op {
  if (o.op === "mov" && o.w32 && typeof o.src === "number" && upper(sd, o.src) <= U32)
    return { op: "mov", dst: o.dst, src: o.src, span: o.span };
  if (o.op !== "alu" || o.alu !== "and" || typeof o.b !== "bigint") return o;
  const m = BigInt.asUintN(o.w32 ? 32 : 64, o.b);
  if (isMask(m) && upper(sd, o.a) <= m) return { op: "mov", dst: o.dst, src: o.a, span: o.span };
  // (x & m1) & m2 → x & (m1 & m2) when the inner mask is a single definition
  const inner = typeof o.a === "number" ? sd.get(o.a) : undefined;
  if (inner?.op !== "alu" || inner.alu !== "and" || typeof inner.b !== "bigint") return o;
  if (typeof inner.a === "number" && !sd.has(inner.a)) return o; // it may have changed since
  const both = BigInt.asUintN(inner.w32 ? 32 : 64, inner.b) & m;
  return both < 1n << 31n ? { ...o, a: inner.a, b: both } : o;
}

/** The outcome of an unsigned comparison with a constant that the left side's bound decides. */
export function decideByRange(
  t: Extract<Term, { op: "br" }>,
  sd: SingleDefs,
  hiOf: (r: Reg) => bigint = (r) => upper(sd, r),
): boolean | undefined {
  if (typeof t.a !== "number" || typeof t.b !== "bigint") return undefined;
  const hi = hiOf(t.a);
  if (t.w32 && hi > U32) return undefined;
  const k = BigInt.asUintN(t.w32 ? 32 : 64, t.b);
  const rules: Partial<Record<Cond, () => boolean | undefined>> = {
    gt: () => (hi <= k ? false : undefined),
    ge: () => (hi < k ? false : undefined),
    lt: () => (hi < k ? true : undefined),
    le: () => (hi <= k ? true : undefined),
    eq: () => (k > hi ? false : undefined),
    ne: () => (k > hi ? true : undefined),
  };
  return rules[t.cc]?.();
}

/**
 * Comparisons decided by bounds that hold where they are made (a variable offset defined many times,
 * then its clamp): the bound of each register at each block's entry is the largest any predecessor
 * leaves (unknown along an edge not walked yet, a loop's back edge), each definition gives a new one.
 * Only registers live into a block are carried into it (the rest decide nothing there or later),
 * so the bounds kept grow with the values live at once, not with the blocks times the registers.
 */
export function foldByIntervals(f: Func, sd: SingleDefs): boolean {
  let changed = false;
  walkIntervals(f, sd, (id, hiOf, step) => {
    const b = f.blocks[id]!;
    for (const o of b.ops) step(o);
    const t = b.term;
    const known = t.op === "br" && typeof t.a === "number" ? decideByRange(t, sd, hiOf) : undefined;
    if (t.op !== "br" || known === undefined) return;
    b.term = { op: "jmp", to: known ? t.then : t.else, span: t.span };
    changed = true;
  });
  return changed;
}

/**
 * The interval walk foldByIntervals and the address pass share: each reachable block in reverse
 * post-order is visited with `hiOf` (a value's bound where the visitor stands) and `step` (to be
 * called with each op of the block in turn, after the visitor has read what it needs before it).
 * Predecessor edges are those of the CFG at the start of the walk.
 */
export function walkIntervals(
  f: Func,
  sd: SingleDefs,
  visit: (id: number, hiOf: (x: Val) => bigint, step: (o: Op) => void) => void,
): void {
  const order = rpo(f);
  const outOf = new Map<number, Map<Reg, bigint>>();
  const preds = new Map<number, number[]>();
  const live = liveIns(f, order);
  for (const id of order)
    for (const s of successors(f.blocks[id]!.term)) (preds.get(s) ?? preds.set(s, []).get(s)!).push(id);
  for (const id of order) {
    const env = entryBounds(preds.get(id) ?? [], outOf, id === 0, live.get(id)!);
    const hiOf = (x: Val): bigint => {
      const known = typeof x === "number" ? env.get(x) : undefined;
      return known ?? (typeof x === "number" && !sd.has(x) ? U64 : upper(sd, x));
    };
    const step = (o: Op): void => {
      for (const d of defs(o)) {
        if (!isVreg(d)) continue;
        const hi = defUpper(o, hiOf);
        if (hi < U64) env.set(d, hi);
        else env.delete(d);
      }
    };
    visit(id, hiOf, step);
    outOf.set(id, env);
  }
}

/** The largest value of each register live into a block over every predecessor's exit (all walked already). */
function entryBounds(
  from: number[],
  outOf: Map<number, Map<Reg, bigint>>,
  entry: boolean,
  live: Set<Reg>,
): Map<Reg, bigint> {
  const outs = from.map((p) => outOf.get(p));
  const env = new Map<Reg, bigint>();
  if (entry || !outs.length || outs.some((o) => !o)) return env;
  for (const r of live) {
    let hi: bigint | undefined = 0n;
    for (const o of outs) {
      const other = o!.get(r);
      hi = other === undefined || hi === undefined ? undefined : other > hi ? other : hi;
    }
    if (hi !== undefined) env.set(r, hi);
  }
  return env;
}

// Demanded low bits, for the optimiser: takes the single definitions of a function's virtual
// registers and an op or branch that reads only the low bits of a value, and gives it reading an
// earlier value with the same low bits. A 4-byte store of a sign-extended i32 (`w2 = w0; r2 <<= 32;
// r2 s>>= 32; *(u32 *)(r10 - 8) = r2`) stores r0's register; `sext32(x) != 0`, `sext32(x) s< K` and
// `(u32)x == K` compare the 32-bit subregister of x (JMP32) against a K the 32 bits can hold. The
// verifier's knowledge stays: a branch is narrowed only when nothing else reads the extended value
// (the verifier bounds the register it compares), a stack store only when it did not fit the slot
// before either (the verifier tracks a narrow spill of a value that fits).
import type { Cond, Func, Op, Reg, Term, Val } from "../ir.js";
import { isVreg, rpo, termUses, uses } from "../ir.js";
import { fitsI32 } from "./select.js";
import { type SingleDefs, upper } from "./ranges.js";

const MAX_DEPTH = 8;

/** A value whose low `bits` bits are v's: v itself, or what it was computed from without changing them. */
export function lowSource(sd: SingleDefs, v: Val, bits: number): Val {
  for (let depth = 0; depth < MAX_DEPTH && isVreg(v); depth++) {
    const o = sd.get(v);
    const from = o && keepsLow(o, bits, sd);
    // a register defined more than once may hold another value where v is used
    if (from === undefined || (typeof from === "number" && !(isVreg(from) && sd.has(from)))) return v;
    v = from;
  }
  return v;
}

/** The operand of `o` whose low `bits` bits `o` leaves as they are, if any. */
function keepsLow(o: Op, bits: number, sd: SingleDefs): Val | undefined {
  if (o.op === "mov") return !o.w32 || bits <= 32 ? o.src : undefined;
  if (o.op !== "alu" || typeof o.b !== "bigint" || (o.w32 && bits > 32)) return undefined;
  const low = (1n << BigInt(bits)) - 1n;
  if (o.alu === "and") return (BigInt.asUintN(o.w32 ? 32 : 64, o.b) & low) === low ? o.a : undefined;
  if ((o.alu !== "arsh" && o.alu !== "rsh") || o.w32 || typeof o.a !== "number") return undefined;
  // (y << k) >> k keeps the low 64 - k bits of y
  const inner = sd.get(o.a);
  const k = o.b;
  if (inner?.op !== "alu" || inner.alu !== "lsh" || inner.w32 || inner.b !== k || 64n - k < BigInt(bits))
    return undefined;
  return inner.a;
}

/** A store of fewer than 8 bytes takes the value it truncates from an earlier register. */
export function narrowStore(o: Op, sd: SingleDefs): Op {
  if (o.op !== "store" || o.size === 8 || !isVreg(o.src)) return o;
  const src = lowSource(sd, o.src, o.size * 8);
  const cap = (1n << BigInt(o.size * 8)) - 1n;
  if (src === o.src || (o.base === 10 && upper(sd, o.src) <= cap && upper(sd, src) > cap)) return o;
  return { ...o, src };
}

const SIGNED: ReadonlySet<Cond> = new Set<Cond>(["eq", "ne", "sgt", "sge", "slt", "sle"]);
const UNSIGNED: ReadonlySet<Cond> = new Set<Cond>(["eq", "ne", "gt", "ge", "lt", "le"]);

/** Every branch narrowed that can be (narrowBranch); whether one was. */
export function narrowBranches(f: Func, sd: SingleDefs): boolean {
  const readers = useCounts(f);
  let changed = false;
  for (const id of rpo(f)) {
    const b = f.blocks[id]!;
    const t = narrowBranch(b.term, sd, (r) => readers.get(r) === 1);
    if (t !== b.term) (b.term = t), (changed = true);
  }
  return changed;
}

/** How many operands (of ops and terminators) read each register. */
function useCounts(f: Func): Map<Reg, number> {
  const n = new Map<Reg, number>();
  const count = (r: Reg) => n.set(r, (n.get(r) ?? 0) + 1);
  for (const id of rpo(f)) {
    const b = f.blocks[id]!;
    for (const o of b.ops) uses(o).forEach(count);
    termUses(b.term).forEach(count);
  }
  return n;
}

/** A 64-bit compare of a sign-extended (or zero-extended) 32-bit value with a constant as a JMP32,
 * when the branch is the value's only reader. */
function narrowBranch(t: Term, sd: SingleDefs, usedOnce: (r: Reg) => boolean): Term {
  if (t.op !== "br" || t.w32 || typeof t.a !== "number" || typeof t.b !== "bigint" || t.bound) return t;
  if (!usedOnce(t.a)) return t;
  const d = sd.get(t.a);
  let from: Val | undefined;
  if (d?.op === "mov" && d.w32 && UNSIGNED.has(t.cc) && t.b >= 0n && t.b < 1n << 32n) from = d.src;
  else if (d?.op === "alu" && d.alu === "arsh" && d.b === 32n && SIGNED.has(t.cc) && fitsI32(t.b))
    from = keepsLow(d, 32, sd);
  if (from === undefined || typeof from === "bigint" || !(isVreg(from) && sd.has(from))) return t;
  return { ...t, a: lowSource(sd, from, 32), w32: true };
}

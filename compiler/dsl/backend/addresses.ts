// Packet addresses reused, an optimiser pass: takes an IR Func (and its single definitions) and
// rewrites it in place. `ctx.loadU8(off + 1)` after `ctx.loadU8(off)` computes data + (off + 1)
// afresh (a 32-bit sum, then a new pointer); where data + off is still in a register and the bounds
// prove off + c does not wrap in 32 bits, it becomes (data + off) + c — one pointer, as clang keeps
// `p = data + off` and tests `p + 2 > end`. Then a constant added to such a pointer goes into the
// constant of the next sum, load or store (`q = p + 1; q + 1` → `p + 2`, `*(q + 0)` → `*(p + 1)`).
// What is known is carried down chains of blocks with one way in (an extended basic block: the
// path from the chain's first block is the only one, so a register not redefined on it still holds
// its value) and forgotten at every definition of a register it names.
import { type Func, type Op, type Reg, type Val, defs, rpo, successors } from "../ir.js";
import { type SingleDefs, walkIntervals } from "./ranges.js";

const U32 = (1n << 32n) - 1n;
const S16_MAX = 0x7fff;
/** Facts kept of each kind (the oldest go first): forgetting stays cheap on long unrolled chains. */
const KEEP = 32;

/** What holds at a point of a chain of blocks. */
interface Known {
  /** `${data}+${x}` → the register holding data + x. */
  sums: Map<string, Reg>;
  /** v → [x, c]: v holds x + c exactly (a 64-bit sum, or a 32-bit one the bounds prove exact). */
  plus: Map<Reg, [Reg, bigint]>;
  /** p → [q, c]: p holds q + c (64-bit), q a pointer kept in a register. */
  offs: Map<Reg, [Reg, bigint]>;
}

export function reuseAddresses(f: Func, sd: SingleDefs): boolean {
  const data = dataRegs(f, sd);
  if (!data.size) return false;
  const preds = new Map<number, number>();
  for (const id of rpo(f)) for (const s of successors(f.blocks[id]!.term)) preds.set(s, (preds.get(s) ?? 0) + 1);
  const outOf = new Map<number, Known>();
  const parent = new Map<number, number>();
  for (const id of rpo(f))
    for (const s of successors(f.blocks[id]!.term)) if (preds.get(s) === 1 && s !== 0) parent.set(s, id);
  let changed = false;
  walkIntervals(f, sd, (id, hiOf, step) => {
    const from = parent.get(id);
    const up = from === undefined ? undefined : outOf.get(from);
    const k: Known = up
      ? { sums: new Map(up.sums), plus: new Map(up.plus), offs: new Map(up.offs) }
      : { sums: new Map(), plus: new Map(), offs: new Map() };
    const b = f.blocks[id]!;
    b.ops = b.ops.map((o0) => {
      const o = rewrite(o0, k, data);
      if (o !== o0) changed = true;
      step(o);
      for (const d of defs(o)) forget(k, d);
      learn(o, k, data, hiOf);
      for (const m of [k.sums, k.plus, k.offs] as Map<unknown, unknown>[])
        if (m.size > KEEP) m.delete(m.keys().next().value);
      return o;
    });
    outOf.set(id, k);
  });
  return changed;
}

/** Registers holding the packet's data pointer: single definitions loaded from the context's offset 0. */
function dataRegs(f: Func, sd: SingleDefs): Set<Reg> {
  const out = new Set<Reg>();
  for (const [r, o] of sd) if (o.op === "load" && o.base === f.ctx && o.off === 0 && o.size === 4) out.add(r);
  return out;
}

/** The op with a known pointer-plus-constant folded in. */
function rewrite(o: Op, k: Known, data: Set<Reg>): Op {
  if (o.op === "alu" && o.alu === "add" && !o.w32 && typeof o.a === "number") {
    // data + (x + c) → (data + x) + c
    if (data.has(o.a) && typeof o.b === "number") {
      const rel = k.plus.get(o.b);
      const p = rel && k.sums.get(`${o.a}+${rel[0]}`);
      if (rel && p !== undefined) return { ...o, a: p, b: rel[1] };
    }
    // (q + c) + d → q + (c + d)
    const off = k.offs.get(o.a);
    if (off && typeof o.b === "bigint") {
      const c = off[1] + o.b;
      if (c >= 0n && c <= BigInt(S16_MAX)) return { ...o, a: off[0], b: c };
    }
  }
  if ((o.op === "load" || o.op === "store") && typeof o.base === "number") {
    const off = k.offs.get(o.base);
    if (off) {
      const c = BigInt(o.off) + off[1];
      if (c >= 0n && c <= BigInt(S16_MAX)) return { ...o, base: off[0], off: Number(c) };
    }
  }
  return o;
}

/** Forget every fact that names register d (it has just been given a new value). */
function forget(k: Known, d: Reg): void {
  for (const [key, p] of k.sums) if (p === d || key.split("+").includes(String(d))) k.sums.delete(key);
  for (const [v, [x]] of k.plus) if (v === d || x === d) k.plus.delete(v);
  for (const [p, [q]] of k.offs) if (p === d || q === d) k.offs.delete(p);
}

/** Facts the op establishes (after the ones naming its destination were forgotten); `hiOf` bounds
 * its operands (they are not its destination, so the bound holds before and after it). */
function learn(o: Op, k: Known, data: Set<Reg>, hiOf: (x: Val) => bigint): void {
  if (o.op !== "alu" || o.alu !== "add" || typeof o.a !== "number" || o.a === o.dst) return;
  if (typeof o.b === "number") {
    if (!o.w32 && data.has(o.a) && o.b !== o.dst) k.sums.set(`${o.a}+${o.b}`, o.dst);
    return;
  }
  if (o.b < 0n || o.b > BigInt(S16_MAX)) return;
  // x + c in 32 bits is x + c exactly when x + c cannot pass 2^32 - 1
  if (!o.w32 || hiOf(o.a) + o.b <= U32) k.plus.set(o.dst, [o.a, o.b]);
  if (!o.w32 && isPointer(k, o.a, data)) k.offs.set(o.dst, [o.a, o.b]);
}

function isPointer(k: Known, r: Reg, data: Set<Reg>): boolean {
  if (data.has(r)) return false; // data + c is already a load's or a check's constant
  for (const p of k.sums.values()) if (p === r) return true;
  return false;
}

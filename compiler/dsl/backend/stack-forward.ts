// Stack loads forwarded, an optimiser pass: takes an IR Func and rewrites it in place so that a load
// of a stack slot that every path to it has just stored (or loaded) becomes a copy of that value —
// `*(u8 *)(r10 - 4) = v27; …; v34 = *(u8 *)(r10 - 4)` gives `v34 = v27 & 0xff` (the mask goes when
// the value's range allows, backend/ranges.ts). What is known of the stack at a block's entry is what
// every predecessor leaves; a store overlapping a slot, a store or atomic through a pointer into the
// stack, a helper call, or a new definition of the value's register forgets it.
import { type Func, type Op, type Reg, type Val, defs, isVreg, rpo, successors } from "../ir.js";

const FP = 10;
/** "offset:size" → the value the slot holds. */
type Known = Map<string, Val>;

const slotKey = (off: number, size: number): string => `${off}:${size}`;
const slotOf = (k: string): [number, number] => k.split(":").map(Number) as [number, number];

export function forwardStackLoads(f: Func): boolean {
  const order = rpo(f);
  const stackPtrs = stackPointers(f, order);
  const preds = new Map<number, number[]>();
  for (const id of order)
    for (const s of successors(f.blocks[id]!.term)) (preds.get(s) ?? preds.set(s, []).get(s)!).push(id);
  const outOf = new Map<number, Known>();
  const entry = (id: number): Known => meet(id === 0 ? [] : (preds.get(id) ?? []).map((p) => outOf.get(p)), id === 0);
  // to a fixed point: a loop's back edge is unknown (everything) on the first walk
  for (let changed = true; changed; ) {
    changed = false;
    for (const id of order) {
      const known = entry(id);
      for (const o of f.blocks[id]!.ops) step(o, known, stackPtrs);
      if (!sameKnown(outOf.get(id), known)) {
        outOf.set(id, known);
        changed = true;
      }
    }
  }
  let rewrote = false;
  for (const id of order) {
    const known = entry(id);
    const b = f.blocks[id]!;
    b.ops = b.ops.map((o) => {
      const n = forwarded(o, known);
      if (n !== o) rewrote = true;
      step(o, known, stackPtrs);
      return n;
    });
  }
  return rewrote;
}

/** The slots every predecessor knows with the same value; a predecessor not walked yet knows all. */
function meet(outs: (Known | undefined)[], isEntry: boolean): Known {
  const walked = outs.filter((o): o is Known => o !== undefined);
  if (isEntry || !walked.length) return new Map();
  const known = new Map(walked[0]!);
  for (const o of walked.slice(1)) for (const [k, v] of known) if (o.get(k) !== v) known.delete(k);
  return known;
}

function sameKnown(a: Known | undefined, b: Known): boolean {
  return !!a && a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

/** Virtual registers that may hold an address in the stack: `frame` results and what is computed from them. */
export function stackPointers(f: Func, order: number[]): Set<Reg> {
  const s = new Set<Reg>([FP]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const id of order)
      for (const o of f.blocks[id]!.ops) {
        const from =
          o.op === "frame" || (o.op === "mov" && s.has(o.src as Reg)) || (o.op === "alu" && s.has(o.a as Reg));
        if (from && !s.has(o.dst)) {
          s.add(o.dst);
          grew = true;
        }
      }
  }
  return s;
}

/** What `o` does to the known slots. */
function step(o: Op, known: Known, stackPtrs: Set<Reg>): void {
  if (o.op === "call" || o.op === "callp") return known.clear();
  if ((o.op === "store" || o.op === "xadd") && o.base !== FP && stackPtrs.has(o.base)) return known.clear();
  for (const d of defs(o)) for (const [k, v] of known) if (v === d) known.delete(k);
  if (o.op === "store" || o.op === "xadd") {
    if (o.base !== FP) return;
    for (const k of [...known.keys()]) {
      const [off, size] = slotOf(k);
      if (off < o.off + o.size && o.off < off + size) known.delete(k);
    }
    if (o.op === "store" && o.src !== FP && !stackPtrs.has(o.src as Reg)) known.set(slotKey(o.off, o.size), o.src);
    return;
  }
  if (o.op === "load" && o.base === FP && isVreg(o.dst) && !known.has(slotKey(o.off, o.size)))
    known.set(slotKey(o.off, o.size), o.dst);
}

/** A load of a known slot as a copy of its value (zero-extended from the slot's size). */
function forwarded(o: Op, known: Known): Op {
  if (o.op !== "load" || o.base !== FP) return o;
  const v = known.get(slotKey(o.off, o.size));
  if (v === undefined || v === o.dst) return o;
  const span = o.span;
  if (typeof v === "bigint")
    return { op: "mov", dst: o.dst, src: o.size === 8 ? v : BigInt.asUintN(o.size * 8, v), span };
  if (o.size === 8) return { op: "mov", dst: o.dst, src: v, span };
  if (o.size === 4) return { op: "mov", dst: o.dst, src: v, w32: true, span };
  return { op: "alu", alu: "and", dst: o.dst, a: v, b: o.size === 1 ? 0xffn : 0xffffn, w32: true, span };
}

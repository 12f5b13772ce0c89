// Values computed once, an optimiser pass: takes an IR Func and rewrites it in place. A load of the
// same bytes, or a sum, mask, shift or byte swap of the same registers, as one made earlier on the
// only way to it becomes a copy of that earlier result: a read-only global (`config` in .rodata,
// written by no program) read again, a map value's field read again when nothing in between can
// have written it (no call — a helper may write map values — and no store through a pointer
// other than the stack's, except to other bytes of the same pointer), and a map value's field
// read back after the program stored a register into it. What is known is carried down chains of
// blocks with one way in (extended basic blocks: the path from the chain's first block to any of its
// blocks is the only one, so what was computed on it and not overwritten since still holds) and
// forgotten at every definition of a register it names.
import { type Func, type Op, type Reg, isVreg, rpo, successors } from "../ir.js";
import type { SingleDefs } from "./ranges.js";
import { stackPointers } from "./stack-forward.js";

/** Facts kept per point (the oldest go first): forgetting stays cheap on long unrolled chains. */
const KEEP = 64;

interface Fact {
  holder: Reg;
  /** The registers the value was computed from (a new value in one of them ends the fact). */
  from: Reg[];
  /** Memory that a store or a call may change (read-only globals and register results are not). */
  mem: boolean;
  /** For a load: the base register it is keyed by and its byte range (undefined for a global's name). */
  base?: Reg;
  lo?: number;
  hi?: number;
}
type Known = Map<string, Fact>;

/** Each block's parent on its chain: its only predecessor (blocks with other ways in start a chain). */
export function chainParents(f: Func): Map<number, number> {
  const order = rpo(f);
  const preds = new Map<number, number>();
  for (const id of order) for (const s of successors(f.blocks[id]!.term)) preds.set(s, (preds.get(s) ?? 0) + 1);
  const parent = new Map<number, number>();
  for (const id of order)
    for (const s of successors(f.blocks[id]!.term)) if (preds.get(s) === 1 && s !== 0) parent.set(s, id);
  return parent;
}

export function reuseValues(f: Func, sd: SingleDefs): boolean {
  const order = rpo(f);
  const parent = chainParents(f);
  const stack = stackPointers(f, order);
  const outOf = new Map<number, Known>();
  let changed = false;
  for (const id of order) {
    const from = parent.get(id);
    const k: Known = new Map(from === undefined ? [] : outOf.get(from));
    const b = f.blocks[id]!;
    b.ops = b.ops.map((o) => {
      const key = keyOf(o, sd, stack);
      const known = key === undefined ? undefined : k.get(key.key);
      const dst = o.op === "load" || o.op === "alu" || o.op === "swap" ? o.dst : undefined;
      const out: Op =
        known && dst !== undefined && known.holder !== dst ? { op: "mov", dst, src: known.holder, span: o.span } : o;
      if (out !== o) changed = true;
      step(o, k, stack);
      if (key && dst !== undefined && !key.from.includes(dst) && isVreg(dst) && !k.has(key.key))
        k.set(key.key, { ...key, holder: out.op === "mov" ? (out.src as Reg) : dst });
      if (o.op === "store" && typeof o.src === "number" && o.size === 8 && !stack.has(o.base) && !stack.has(o.src)) {
        // the register stored is what a load of those bytes reads back
        const stored = loadKey(o.base, o.off, o.size, sd);
        if (!stored.from.includes(o.src)) k.set(stored.key, { ...stored, holder: o.src });
      }
      while (k.size > KEEP) k.delete(k.keys().next().value!);
      return out;
    });
    outOf.set(id, k);
  }
  return changed;
}

type Key = Omit<Fact, "holder"> & { key: string };

/** What identifies the value op `o` computes (undefined for ops not reused). */
function keyOf(o: Op, sd: SingleDefs, stack: Set<Reg>): Key | undefined {
  switch (o.op) {
    case "load":
      return stack.has(o.base) ? undefined : loadKey(o.base, o.off, o.size, sd);
    case "alu": {
      const regs = [o.a, o.b].filter((v): v is Reg => typeof v === "number");
      const b = o.alu === "neg" ? 0n : o.b;
      return { key: `a|${o.alu}|${o.w32 ? 32 : 64}|${val(o.a)}|${val(b)}`, from: regs, mem: false };
    }
    case "swap":
      return { key: `s|${o.bits}|${o.src}`, from: [o.src], mem: false };
    default:
      return undefined;
  }
}

const val = (v: Reg | bigint): string => (typeof v === "bigint" ? `#${v}` : `r${v}`);

/** A load's key: by the global's name when the base is a global section's address, else by the base register. */
function loadKey(base: Reg, off: number, size: number, sd: SingleDefs): Key {
  const d = sd.get(base);
  if (d?.op === "ldmap")
    return { key: `g|${d.map}|${off}|${size}`, from: [], mem: d.map !== ".rodata", lo: off, hi: off + size };
  return { key: `l|${base}|${off}|${size}`, from: [base], mem: true, base, lo: off, hi: off + size };
}

/** What op `o` ends: facts naming a register it defines, memory it may write. */
function step(o: Op, k: Known, stack: Set<Reg>): void {
  if (o.op === "call" || o.op === "callp") {
    for (const [key, fa] of k) if (fa.mem) k.delete(key);
  } else if ((o.op === "store" || o.op === "xadd") && !stack.has(o.base)) {
    const lo = o.off,
      hi = o.off + o.size;
    // another pointer may reach any byte; the same register, only the bytes it writes
    for (const [key, fa] of k)
      if (fa.mem && (fa.base !== o.base || (fa.lo! < hi && lo < fa.hi!) || fa.base === undefined)) k.delete(key);
  }
  const ds = o.op === "store" || o.op === "xadd" ? [] : defsOf(o);
  if (ds.length)
    for (const [key, fa] of k) if (ds.includes(fa.holder) || fa.from.some((r) => ds.includes(r))) k.delete(key);
}

function defsOf(o: Op): Reg[] {
  if (o.op === "call") return o.dst === undefined ? [] : [o.dst];
  if (o.op === "callp") return [0, 1, 2, 3, 4, 5];
  if (o.op === "store" || o.op === "xadd") return [];
  return [o.dst];
}

// Stores overwritten before anything reads them, an optimiser pass: takes an IR Func and rewrites it
// in place. A store through a pointer whose bytes later stores in the same block through the same
// register all write again, with nothing between that may read them, goes: the zeroes reserve()
// writes into a ring-buffer record whose every field the program then sets (synevents). What may read
// them: a load through the same register that overlaps, a load through a pointer that may point
// into the same memory (only the packet, the context, the stack and a global section are told
// apart from one another and from a helper's result), and any call that is given a pointer or whose
// helper is not known to read no memory; a definition of the register ends the search too.
import { HELPER } from "../../abi.js";
import { type Func, type Op, type Reg, defs, rpo } from "../ir.js";
import type { SingleDefs } from "./ranges.js";
import { stackPointers } from "./stack-forward.js";

/** Helpers that read no memory of the program's (they take no pointer, or only the map's). */
const READS_NOTHING = new Set<number>([
  HELPER.ktime_get_ns,
  HELPER.get_prandom_u32,
  HELPER.get_smp_processor_id,
  HELPER.ktime_get_boot_ns,
  HELPER.ktime_get_coarse_ns,
]);

/** How far ahead a store looks for the stores that overwrite it. */
const WINDOW = 64;

export function removeOverwrittenStores(f: Func, sd: SingleDefs): boolean {
  const order = rpo(f);
  const stack = stackPointers(f, order);
  const region = (r: Reg): string | undefined => regionOf(f, sd, stack, r);
  let changed = false;
  for (const id of order) {
    const b = f.blocks[id]!;
    const dead = new Set<number>();
    b.ops.forEach((o, i) => {
      if (o.op === "store" && !stack.has(o.base) && overwritten(b.ops, i, region)) dead.add(i);
    });
    if (!dead.size) continue;
    b.ops = b.ops.filter((_, i) => !dead.has(i));
    changed = true;
  }
  return changed;
}

/** Whether the bytes store i writes are all written again later in ops before anything may read them. */
function overwritten(ops: Op[], i: number, region: (r: Reg) => string | undefined): boolean {
  const s = ops[i] as Extract<Op, { op: "store" }>;
  const covered = new Uint8Array(s.size);
  const home = region(s.base);
  const distinct = (r: Reg): boolean => {
    const other = region(r);
    return (
      home !== undefined && other !== undefined && home !== other && !(home.startsWith("h") && other.startsWith("h"))
    );
  };
  for (let j = i + 1; j < ops.length && j <= i + WINDOW; j++) {
    const o = ops[j]!;
    if (o.op === "call" || o.op === "callp") {
      if (o.op === "callp" || !READS_NOTHING.has(o.helper) || o.args.length) return false;
    } else if (o.op === "load" || o.op === "xadd") {
      const overlaps = o.off < s.off + s.size && s.off < o.off + o.size;
      if (o.base === s.base ? overlaps : !distinct(o.base)) return false;
    } else if (o.op === "store" && o.base === s.base) {
      for (let k = Math.max(o.off, s.off); k < Math.min(o.off + o.size, s.off + s.size); k++) covered[k - s.off] = 1;
      if (!covered.includes(0)) return true;
    }
    if (defs(o).includes(s.base)) return false;
  }
  return false;
}

/**
 * The memory a pointer register points into, where it is known: "pkt" (the packet), "ctx", "stack",
 * "g:<section>" (a global section), "h<reg>" (a helper's result: two of them may be the same memory).
 */
function regionOf(f: Func, sd: SingleDefs, stack: Set<Reg>, r: Reg, depth = 0): string | undefined {
  if (stack.has(r)) return "stack";
  for (; depth < 16; depth++) {
    if (r === f.ctx) return "ctx";
    const d = sd.get(r);
    if (!d) return undefined;
    if (d.op === "load") return d.base === f.ctx && d.off === 0 && d.size === 4 ? "pkt" : undefined;
    if (d.op === "ldmap") return `g:${d.map}`;
    if (d.op === "call") return `h${r}`;
    if (d.op === "mov" && typeof d.src === "number") r = d.src;
    else if (d.op === "alu" && (d.alu === "add" || d.alu === "sub") && typeof d.a === "number") {
      // a pointer plus a number (a sum of two pointers, or a pointer on the right, is not told)
      if (typeof d.b === "number" && regionOf(f, sd, stack, d.b, depth + 1) !== undefined) return undefined;
      r = d.a;
    } else return undefined;
  }
  return undefined;
}

// What the VM's generated code calls: takes a Memory and produces its checked loads and stores by
// size (the slow path of the inline accesses emit.ts generates; they fault with the instruction and
// region), and the rarer operations as functions on register values (neg, movsx, 64-bit byte
// swaps, sign-extending loads, atomics with a Number path for add, BPF-to-BPF calls).
import { ATOMIC, bswap, movsx, neg } from "../../compiler/isa/semantics.js";
import { MAX_FRAMES, type Machine } from "./machine.js";
import { VmFault, type Memory } from "./memory.js";
import { addSmall, big, canon, type Reg } from "./reg.js";

export type Load = (base: Reg, off: number, insn: number) => Reg;
export type Store = (base: Reg, off: number, v: Reg, insn: number) => void;

/** Memory's checked load of `size` bytes at base + off: the generated code's slow path (a BigInt
 *  or non-pointer base, the context, an access out of bounds, which faults). */
export const load =
  (mem: Memory, size: number): Load =>
  (base, off, insn) =>
    mem.load(addSmall(base, off), size, insn);

/** Memory's checked store of `size` bytes. */
export const store =
  (mem: Memory, size: number): Store =>
  (base, off, v, insn) =>
    mem.store(addSmall(base, off), size, v, insn);

/** A sign-extending load of `size` bytes, the result as a 64-bit register. */
export function signedLoad(load: Load, size: number): Load {
  const ext = movsx(size * 8, 64);
  return (base, off, insn) => canon(ext(big(load(base, off, insn))));
}

/** A unary register operation from a BigInt one. */
const unary =
  (f: (a: bigint) => bigint) =>
  (a: Reg): Reg =>
    canon(f(big(a)));

export const negOp = (bits: number) => unary(neg(bits));
export const movsxOp = (from: number, bits: number) => unary(movsx(from, bits));
export const swapOp = (bits: number) => unary((v) => bswap(v, bits));

/** An atomic read-modify-write at base + off; returns the old value (the fetch forms keep it). */
export function atomicOp(op: string, bits: number, load: Load, store: Store) {
  const f = ATOMIC[op];
  if (!f) return undefined;
  const trunc = (v: bigint) => canon(BigInt.asUintN(bits, v));
  const limit = 2 ** Math.min(bits, 53);
  return (base: Reg, off: number, src: Reg, insn: number): Reg => {
    const old = load(base, off, insn);
    const sum = op === "add" && typeof old === "number" && typeof src === "number" ? old + src : limit;
    store(base, off, sum < limit ? sum : trunc(f(big(old), big(src))), insn);
    return old;
  };
}

/** cmpxchg: stores src where the old value equals r0 (truncated); returns the old value (new r0). */
export function cmpxchgOp(bits: number, load: Load, store: Store) {
  return (base: Reg, off: number, src: Reg, r0: Reg, insn: number): Reg => {
    const old = load(base, off, insn);
    if (old === canon(BigInt.asUintN(bits, big(r0)))) store(base, off, src, insn);
    return old;
  };
}

/** A BPF-to-BPF call: saves r6..r10 and the return slot, returns the callee's r10 (a zeroed stack). */
export function localCall(x: Machine, insn: number, r6: Reg, r7: Reg, r8: Reg, r9: Reg, r10: Reg): Reg {
  const depth = x.frames.length + 1;
  if (depth >= MAX_FRAMES) throw new VmFault(`call depth exceeds ${MAX_FRAMES} frames`, insn);
  x.frames.push({ ret: insn + 1, saved: [r6, r7, r8, r9, r10] });
  const st = x.stacks[depth];
  st.bytes.fill(0);
  return x.mem.ptr(st, st.bytes.length);
}

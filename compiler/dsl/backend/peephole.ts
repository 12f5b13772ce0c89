// Peephole clean-up after register allocation: takes an IR Func over physical registers and
// rewrites each block in place — a reload of a stack slot into the register that already holds it
// (`*(u64 *)(r10 - 48) = r1; r1 = *(u64 *)(r10 - 48)`, what spilling leaves) goes, and so does a
// copy of a register to itself.
import { type Func, type Op, type Reg, defs, rpo } from "../ir.js";

const FP = 10;

export function peephole(f: Func): void {
  for (const id of rpo(f)) {
    const b = f.blocks[id]!;
    // stack slot offset → the register known to hold its 8 bytes
    const holds = new Map<number, Reg>();
    const forgetReg = (r: Reg): void => {
      for (const [off, x] of holds) if (x === r) holds.delete(off);
    };
    const forgetBytes = (lo: number, hi: number): void => {
      for (const off of holds.keys()) if (off < hi && lo < off + 8) holds.delete(off);
    };
    b.ops = b.ops.filter((o) => {
      if (o.op === "mov" && o.src === o.dst && !o.w32) return false;
      if (o.op === "load" && o.base === FP && o.size === 8 && holds.get(o.off) === o.dst) return false;
      track(o, holds, forgetReg, forgetBytes);
      return true;
    });
  }
}

function track(
  o: Op,
  holds: Map<number, Reg>,
  forgetReg: (r: Reg) => void,
  forgetBytes: (lo: number, hi: number) => void,
): void {
  if (o.op === "store" || o.op === "xadd") {
    // a store through another pointer could reach the stack: forget everything
    if (o.base !== FP) return holds.clear();
    forgetBytes(o.off, o.off + o.size);
    if (o.op === "store" && o.size === 8 && typeof o.src === "number" && o.src !== FP) holds.set(o.off, o.src);
    return;
  }
  // a helper may write the stack through an address it is given
  if (o.op === "callp" || o.op === "call") holds.clear();
  for (const d of defs(o)) forgetReg(d);
  if (o.op === "load" && o.base === FP && o.size === 8 && o.dst !== FP) holds.set(o.off, o.dst);
}

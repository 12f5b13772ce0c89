// Legalisation, the pass after the optimiser: takes an optimised IR Func and rewrites it in place so
// that every immediate has a form the instruction set can encode — 64-bit ALU and jump immediates
// that do not fit in 32 signed bits go through a register, a constant is stored with BPF_ST (store
// immediate) where its 32-bit immediate holds it and the base is not the context (the verifier refuses
// BPF_ST into the context), else from a register, a constant swapped is folded, a branch on two constants becomes a jump, a
// constant on a branch's left swaps sides (`K < x` → `x > K`).
import { type Func, type Op, type Reg, type Val, bswap, newVreg, rpo } from "../ir.js";
import { foldTerm } from "./optimize.js";
import { fitsI32 } from "./select.js";
import { swapCond } from "../../isa/cond.js";

/** Give every immediate an encodable form: 64-bit ALU/jump immediates must fit in 32 signed bits. */
export function legalize(f: Func): void {
  for (const id of rpo(f)) {
    const b = f.blocks[id]!;
    const out: Op[] = [];
    // one register per constant and block (`r1 = 0` once for the zero stores of a struct)
    const held = new Map<bigint, Reg>();
    const toReg = (v: bigint, span: Op["span"]): Reg => {
      const known = held.get(v);
      if (known !== undefined) return known;
      const r = newVreg(f);
      out.push({ op: "mov", dst: r, src: v, span });
      held.set(v, r);
      return r;
    };
    for (const o of b.ops) out.push(legalOp(o, toReg, f.ctx));
    const t = b.term;
    if (t.op === "br") {
      let a = t.a,
        bb = t.b;
      if (typeof a === "bigint" && typeof bb === "bigint") {
        b.ops = out;
        b.term = foldTerm(t);
        continue;
      }
      let cc = t.cc;
      // `K < x` is `x > K`: the constant goes in the immediate, not in a register
      if (typeof a === "bigint") [a, bb, cc] = [bb, a, swapCond(cc)];
      if (typeof bb === "bigint" && !t.w32 && !fitsI32(bb)) bb = toReg(bb, t.span);
      b.term = { ...t, cc, a, b: bb };
    }
    b.ops = out;
  }
}

/** Whether `*(size *)(base + off) = v` is one BPF_ST: its immediate is 32 bits, sign-extended for 8 bytes. */
function storesImmediate(base: Reg, size: number, v: bigint, ctx: Reg): boolean {
  return base !== ctx && (size < 8 || fitsI32(BigInt.asIntN(64, v)));
}

/** One op in encodable form; `toReg` emits a mov of a constant into a new register before it. */
function legalOp(o: Op, toReg: (v: bigint, span: Op["span"]) => Reg, ctx: Reg): Op {
  if (o.op === "alu" && typeof o.b === "bigint" && !o.w32 && !fitsI32(o.b)) return { ...o, b: toReg(o.b, o.span) };
  if (o.op === "store" && typeof o.src === "bigint" && !storesImmediate(o.base, o.size, o.src, ctx))
    return { ...o, src: toReg(o.src, o.span) };
  // propagation may have put a constant where a swap's register was
  const swapped: Val = o.op === "swap" ? o.src : 0;
  if (o.op !== "swap" || typeof swapped !== "bigint") return o;
  return { op: "mov", dst: o.dst, src: bswap(swapped, o.bits), span: o.span };
}

// Call and return expansion, the pass between legalisation and register allocation: takes a
// legal IR Func over virtual registers and rewrites it in place to the machine's conventions —
// helper calls as `mov r1..rN, args; callp; mov dst, r0`, returns as `mov r0, v; ret r0`, and ALU
// and swap ops in two-address form (dst = a first), so regalloc.ts sees the physical registers.
import type { Func, Op } from "../ir.js";

/** Rewrite calls as `mov r1..rN, args; callp; mov dst, r0`, returns as `mov r0, v; ret r0`,
 * ALU ops to two-address form. */
export function expandCalls(f: Func): void {
  for (const b of f.blocks) {
    const out: Op[] = [];
    for (const o of b.ops) {
      if (o.op === "call") {
        o.args.forEach((a, i) => out.push({ op: "mov", dst: i + 1, src: a, span: o.span }));
        const callee = o.func === undefined ? {} : { func: o.func };
        out.push({ op: "callp", helper: o.helper, ...callee, nargs: o.args.length, span: o.span });
        if (o.dst !== undefined) out.push({ op: "mov", dst: o.dst, src: 0, span: o.span });
      } else if (o.op === "alu" && o.alu !== "neg" && o.a !== o.dst) {
        out.push({ op: "mov", dst: o.dst, src: o.a, w32: false, span: o.span });
        out.push({ ...o, a: o.dst });
      } else if (o.op === "alu" && o.alu === "neg" && o.a !== o.dst) {
        out.push({ op: "mov", dst: o.dst, src: o.a, span: o.span });
        out.push({ ...o, a: o.dst });
      } else if (o.op === "swap" && o.src !== o.dst) {
        out.push({ op: "mov", dst: o.dst, src: o.src, span: o.span });
        out.push({ ...o, src: o.dst });
      } else out.push(o);
    }
    if (b.term.op === "ret" && b.term.val !== 0) {
      out.push({ op: "mov", dst: 0, src: b.term.val, span: b.term.span });
      b.term = { ...b.term, val: 0 };
    }
    b.ops = out;
  }
}

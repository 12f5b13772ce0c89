// may_goto at the heads of real loops: takes a function's Insn[] with `target` labels (select.ts
// output, before long-branch lowering) and the heads lower/control.ts chose (Func.mayGoto), and puts
// `may_goto` (BPF_JMP | BPF_JCOND, kernel ≥ 6.9) first in each head, its goto to `r0 = 0; exit` at the
// function's end (not to the loop's exit: registers the exit reads may be set only by the body). The
// counter bound stays, and the compiler keeps the rounds within the kernel's budget, so the goto is
// never taken (were it, a program would return XDP_ABORTED); to the verifier the instruction is a
// checkpoint at which a round's state within an earlier round's is pruned, and its looping branch
// forgets the scalars that changed and are not precise (README "Loops"). When the optimiser merged a
// head away (or its back edge is no longer a conditional jump to it) the function is built again
// with bounded loops (index.ts).
import { ALU, CLASS, JMP, SRC, type Insn } from "../../isa/insn.js";
import type { Func } from "../ir.js";
import type { Code } from "./long-branch.js";
import { blockLabel } from "./select.js";

const isCondJump = (i: Insn): boolean => {
  const cls = i.code & 7,
    op = i.code & 0xf0;
  return (cls === CLASS.JMP || cls === CLASS.JMP32) && op !== JMP.JA && op !== JMP.CALL && op !== JMP.EXIT;
};

/** Inserts the may_goto of each head of `f.mayGoto` into `code`; false when a head has none (the
 * caller builds the function again without may_goto: its counter was hidden for nothing). */
export function insertMayGoto(f: Func, code: Code): boolean {
  const out = `.L${f.name}_may_goto_out`;
  let used = false,
    lost = false;
  for (const id of f.mayGoto ?? []) {
    const head = blockLabel(f, id);
    const at = code.labels.get(head);
    if (at === undefined || !code.insns.some((i, k) => k >= at && i.target === head && isCondJump(i))) {
      lost = true;
      continue;
    }
    for (const [l, k] of code.labels) if (k > at) code.labels.set(l, k + 1);
    code.insns.splice(at, 0, { code: CLASS.JMP | JMP.JCOND, dst: 0, src: 0, off: 0, imm: 0, target: out });
    used = true;
  }
  if (!used) return !lost;
  code.labels.set(out, code.insns.length);
  code.insns.push(
    { code: CLASS.ALU64 | ALU.MOV | SRC.K, dst: 0, src: 0, off: 0, imm: 0 },
    { code: CLASS.JMP | JMP.EXIT, dst: 0, src: 0, off: 0, imm: 0 },
  );
  return !lost;
}

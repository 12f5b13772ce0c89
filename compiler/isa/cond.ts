// Conditional jumps, once: takes nothing; produces each condition's name (the jump mnemonic
// without its `j`), its operation field, its LLVM operator, its negation and its mirror (the same
// test with the operands swapped). The instruction table, the DSL's IR conditions, instruction
// selection, long branches, constant folding and the verifier estimate all read this table.
import { JMP } from "./insn.js";

export type Cond = "eq" | "gt" | "ge" | "set" | "ne" | "sgt" | "sge" | "lt" | "le" | "slt" | "sle";

interface CondInfo {
  /** The operation field (code & 0xf0) of the jump. */
  op: number;
  /** What LLVM prints between the operands: `if r1 s> r2 goto`. */
  sym: string;
  /** The condition that holds exactly when this one does not (jset has none). */
  inverse?: Cond;
  /** The condition that holds for (b, a) exactly when this one holds for (a, b). */
  mirror: Cond;
}

/** In the order of the opcode field (the instruction table lists the jumps in this order). */
export const CONDS: Readonly<Record<Cond, CondInfo>> = {
  eq: { op: JMP.JEQ, sym: "==", inverse: "ne", mirror: "eq" },
  gt: { op: JMP.JGT, sym: ">", inverse: "le", mirror: "lt" },
  ge: { op: JMP.JGE, sym: ">=", inverse: "lt", mirror: "le" },
  set: { op: JMP.JSET, sym: "&", mirror: "set" },
  ne: { op: JMP.JNE, sym: "!=", inverse: "eq", mirror: "ne" },
  sgt: { op: JMP.JSGT, sym: "s>", inverse: "sle", mirror: "slt" },
  sge: { op: JMP.JSGE, sym: "s>=", inverse: "slt", mirror: "sle" },
  lt: { op: JMP.JLT, sym: "<", inverse: "ge", mirror: "gt" },
  le: { op: JMP.JLE, sym: "<=", inverse: "gt", mirror: "ge" },
  slt: { op: JMP.JSLT, sym: "s<", inverse: "sge", mirror: "sgt" },
  sle: { op: JMP.JSLE, sym: "s<=", inverse: "sgt", mirror: "sge" },
};

const BY_OP = new Map(Object.entries(CONDS).map(([c, info]) => [info.op, c as Cond]));

/** The condition of a jump opcode (its operation field), or undefined for ja, call, exit, … */
export const condOfCode = (code: number): Cond | undefined => BY_OP.get(code & 0xf0);
export const invertCond = (c: Cond): Cond | undefined => CONDS[c].inverse;
export const swapCond = (c: Cond): Cond => CONDS[c].mirror;

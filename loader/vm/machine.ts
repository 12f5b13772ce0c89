// The VM's machine state as compiled programs and helpers share it: registers, frames, stacks,
// the instruction count and a pending tail call; the shapes of helpers and compiled programs, and
// what the compiler is given (CompileEnv) and throws (VmCompileError).
import type { Insn } from "../../compiler/isa/insn.js";
import type { Memory, Region } from "./memory.js";
import type { Reg } from "./reg.js";

export const MAX_FRAMES = 8;

export interface Machine {
  /** The registers at the start of a run (r1 the context, r10 the stack; the others 0). */
  init: Reg[];
  /** r0..r10 (see reg.ts: a Number below 2^53, else a BigInt): the registers a helper reads and
   *  sets (r1..r5 in, r0 out; the generated code keeps its own copies in between), r0 after the
   *  run, all of them when a tail call leaves a program. */
  r: Reg[];
  mem: Memory;
  /** Saved r6..r10 and return slot of each caller frame. */
  frames: { ret: number; saved: Reg[] }[];
  /** One 512-byte stack per call depth. */
  stacks: Region[];
  /** Instructions executed in this run, and the most it may execute. */
  n: number;
  limit: number;
  /** Set by bpf_tail_call: the program that runs next, in the same frame. */
  tail: Program | null;
}

/** Calls helper `id`; reads r1..r5 (and r0) from m.r, sets m.r[0]. */
export type HelperFn = (m: Machine, insn: number) => void;

/** A compiled program: runs from its first instruction, with the registers `from`, until the
 *  entry frame exits (null; r0 in m.r) or a tail call succeeds (the program to run next; every
 *  register in m.r). */
export type Program = (m: Machine, from: readonly Reg[]) => Program | null;

export interface CompileEnv {
  /** The helper for a call (undefined: not implemented, refused at compile time). */
  helper(id: number): HelperFn | undefined;
  helperName(id: number): string;
  /** The helper a `callx` register names at run time (ubpf semantics; the kernel refuses callx). */
  helperAt?(id: number, insn: number): HelperFn;
  /** The value of an ld_imm64 with a pseudo source (map pointers); throws when unsupported. */
  pseudo(insn: Insn, slot: number): Reg;
}

export class VmCompileError extends Error {}

/** Run a program until the entry frame exits, following tail calls; returns the instruction count. */
export function execute(code: Program, m: Machine, limit: number): number {
  m.n = 0;
  m.limit = limit;
  m.tail = null;
  let p = code(m, m.init);
  while (p) {
    m.tail = null;
    p = p(m, m.r);
  }
  return m.n;
}

// The VM's compiler: takes eBPF bytecode, decodes it with the ISA's one decoder and table
// (compiler/isa), and produces one JavaScript function per program (generated source, compiled once
// by `new Function`): the BPF registers are local variables, each basic block a `case` of a
// `switch` inside a loop (a jump sets pc and continues the loop), memory accesses and helpers are
// calls into loader/vm/runtime.ts. Forms the VM cannot run are refused here, naming the
// instruction, before anything runs. Adding a helper needs nothing here: helpers are HelperFns
// (read r1..r5 from m.r, set m.r[0]) that the CompileEnv hands out by id.
import { decodeInsns } from "../../compiler/isa/decode.js";
import { findEntry, targetInImm } from "../../compiler/isa/lookup.js";
import type { Insn } from "../../compiler/isa/insn.js";
import { emitInsn, type EmitEnv } from "./emit.js";
import { VmFault, type Memory } from "./memory.js";
import { VmCompileError, type CompileEnv, type Program } from "./machine.js";

export {
  MAX_FRAMES,
  VmCompileError,
  type CompileEnv,
  type HelperFn,
  type Machine,
  type Program,
} from "./machine.js";

/** Compile a program into one generated function. */
export function compile(code: Uint8Array, env: CompileEnv, mem: Memory): Program {
  const insns = decodeInsns(code);
  const slots: number[] = [];
  let end = 0;
  for (const i of insns) {
    slots.push(end);
    end += i.imm64 !== undefined ? 2 : 1;
  }
  const leaders = blockLeaders(insns, slots, end);
  const names: string[] = [];
  const values: unknown[] = [];
  const named = new Map<unknown, string>();
  const emit: EmitEnv = {
    ...env,
    mem,
    k(v) {
      let name = named.get(v);
      if (name === undefined) named.set(v, (name = names[values.push(v) - 1] = `k${values.length - 1}`));
      return name;
    },
  };
  const body = blockSource(insns, slots, leaders, end, emit);
  const fn = new Function(...names, `"use strict"; return function bpf(x, from) {\n${body}\n};`) as (
    ...a: unknown[]
  ) => Program;
  return fn(...values);
}

/** Slots where a basic block starts: 0, jump targets, after jumps, exits and BPF-to-BPF calls,
 *  and the end (control falling off the program). Checks every target is an instruction. */
function blockLeaders(insns: Insn[], slots: number[], end: number): Set<number> {
  const starts = new Set(slots);
  const leaders = new Set([0, end]);
  insns.forEach((i, n) => {
    const slot = slots[n];
    const e = findEntry(i);
    const hex = `0x${i.code.toString(16).padStart(2, "0")}`;
    if (!e)
      throw new VmCompileError(
        `insn ${slot}: unknown instruction (opcode ${hex}, src ${i.src}, off ${i.off}, imm ${i.imm})`,
      );
    if (i.dst > 10 || i.src > 10)
      throw new VmCompileError(`insn ${slot}: register r${Math.max(i.dst, i.src)} does not exist`);
    const t = target(i, slot);
    if (t === undefined) return;
    if (!starts.has(t))
      throw new VmCompileError(
        `insn ${slot}: jump to ${t} is outside the program (0..${end - 1}) or inside an ld_imm64`,
      );
    leaders.add(t);
    leaders.add(slot + 1);
  });
  insns.forEach((i, n) => {
    const cls = i.code & 7;
    if ((cls === 5 || cls === 6) && (i.code & 0xf0) === 0x90) leaders.add(slots[n] + 1); // exit
  });
  return leaders;
}

function target(i: Insn, slot: number): number | undefined {
  const cls = i.code & 7,
    op = i.code & 0xf0;
  if (targetInImm(i.code, i.src)) return slot + 1 + i.imm;
  if ((cls === 5 || cls === 6) && op !== 0x80 && op !== 0x90) return slot + 1 + i.off;
  return undefined;
}

/** The function body: registers as locals, one `case` per block, each counting its instructions. */
function blockSource(insns: Insn[], slots: number[], leaders: Set<number>, end: number, env: EmitEnv): string {
  const out: string[] = [];
  const regs = Array.from({ length: 11 }, (_, n) => `r${n} = from[${n}]`).join(", ");
  out.push(`let ${regs}, n = x.n, pc = 0, t, f, q, a, i;`, "const limit = x.limit;", "for (;;) switch (pc) {");
  const overLimit = env.k(tooMany);
  const rest = restOfBlock(slots, leaders);
  for (let n = 0; n < insns.length; n++) {
    const slot = slots[n];
    if (leaders.has(slot))
      out.push(`case ${slot}:`, `if ((n += ${1 + rest[n]}) > limit) ${overLimit}(${slot}, limit);`);
    out.push(emitInsn(insns[n], slot, env, rest[n]));
  }
  out.push(`case ${end}:`, `${env.k(fellOff)}(${end});`);
  out.push(`default: throw new Error("bad pc " + pc);`, "}");
  return out.join("\n");
}

/** For each instruction, how many of its block follow it (not run when a tail call leaves there). */
function restOfBlock(slots: number[], leaders: Set<number>): number[] {
  const rest = new Array<number>(slots.length).fill(0);
  for (let n = slots.length - 2; n >= 0; n--) rest[n] = leaders.has(slots[n + 1]) ? 0 : rest[n + 1] + 1;
  return rest;
}

function tooMany(slot: number, limit: number): never {
  throw new VmFault(`more than ${limit} instructions executed (a loop the verifier would not accept?)`, slot);
}

function fellOff(slot: number): never {
  throw new VmFault("control fell off the end of the program", slot);
}

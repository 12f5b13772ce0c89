// The VM's compiler: takes eBPF bytecode, decodes it with the ISA's one decoder and table
// (compiler/isa), and produces one JavaScript closure per instruction slot. A closure runs its
// instruction against a Machine and returns the next slot (-1 when the program exits). Forms the
// VM cannot run are refused here, naming the instruction, before anything runs.
import { decodeInsns } from "../../compiler/isa/decode.js";
import { findEntry, targetInImm } from "../../compiler/isa/lookup.js";
import type { Insn } from "../../compiler/isa/insn.js";
import { ATOMIC, bswap, immOperand, movsx, neg } from "../../compiler/isa/semantics.js";
import { VmFault, type Memory, type Region } from "./memory.js";
import { addSmall, big, canon, lo32, regCmp, regOp, type Reg } from "./reg.js";

export const MAX_FRAMES = 8;

export interface Machine {
  /** r0..r10 (see reg.ts: a Number below 2^53, else a BigInt). */
  r: Reg[];
  mem: Memory;
  /** Saved r6..r10 and return slot of each caller frame. */
  frames: { ret: number; saved: Reg[] }[];
  /** One 512-byte stack per call depth. */
  stacks: Region[];
}

/** Calls helper `id`; reads r1..r5, sets r0. */
export type HelperFn = (m: Machine, insn: number) => void;

export interface CompileEnv {
  /** The helper for a call (undefined: not implemented, refused at compile time). */
  helper(id: number): HelperFn | undefined;
  helperName(id: number): string;
  /** The helper a `callx` register names at run time (ubpf semantics; the kernel refuses callx). */
  helperAt?(id: number, insn: number): HelperFn;
  /** The value of an ld_imm64 with a pseudo source (map pointers); throws when unsupported. */
  pseudo(insn: Insn, slot: number): Reg;
}

export type Step = (m: Machine) => number;

export class VmCompileError extends Error {}

/** Thrown by bpf_tail_call: execution goes on at slot 0 of `steps`, in the same frame. */
export class TailCall {
  constructor(readonly steps: Step[]) {}
}

/** Compile a program: one step per slot, plus a final step that faults when control falls off the end. */
export function compile(code: Uint8Array, env: CompileEnv): Step[] {
  const insns = decodeInsns(code);
  const steps: Step[] = [];
  const starts = new Set<number>();
  let slot = 0;
  for (const i of insns) {
    starts.add(slot);
    steps[slot] = compileOne(i, slot, env);
    if (i.imm64 !== undefined)
      steps[slot + 1] = () => {
        throw new VmFault("jump into the middle of an ld_imm64", slot);
      };
    slot += i.imm64 !== undefined ? 2 : 1;
  }
  const end = slot;
  steps[end] = () => {
    throw new VmFault("control fell off the end of the program", end);
  };
  checkTargets(insns, starts, end);
  return steps;
}

function checkTargets(insns: Insn[], starts: Set<number>, end: number): void {
  let slot = 0;
  for (const i of insns) {
    const t = target(i, slot);
    if (t !== undefined && !starts.has(t))
      throw new VmCompileError(
        `insn ${slot}: jump to ${t} is outside the program (0..${end - 1}) or inside an ld_imm64`,
      );
    slot += i.imm64 !== undefined ? 2 : 1;
  }
}

function target(i: Insn, slot: number): number | undefined {
  const cls = i.code & 7,
    op = i.code & 0xf0;
  if (targetInImm(i.code, i.src)) return slot + 1 + i.imm;
  if ((cls === 5 || cls === 6) && op !== 0x80 && op !== 0x90) return slot + 1 + i.off;
  return undefined;
}

function compileOne(i: Insn, slot: number, env: CompileEnv): Step {
  const e = findEntry(i);
  const hex = `0x${i.code.toString(16).padStart(2, "0")}`;
  if (!e)
    throw new VmCompileError(
      `insn ${slot}: unknown instruction (opcode ${hex}, src ${i.src}, off ${i.off}, imm ${i.imm})`,
    );
  if (i.dst > 10 || i.src > 10)
    throw new VmCompileError(`insn ${slot}: register r${Math.max(i.dst, i.src)} does not exist`);
  const step = aluStep(e.name, i, slot) ?? memStep(e.name, i, slot) ?? jumpStep(e.name, i, slot, env);
  if (!step) throw new VmCompileError(`insn ${slot}: the VM does not run ${e.name} (opcode ${hex})`);
  if (i.dst === 10 && writesDst(i.code)) throw new VmCompileError(`insn ${slot}: r10 is read-only`);
  return step;
}

/** ALU, LDX and ld_imm64 write their dst register. */
function writesDst(code: number): boolean {
  const cls = code & 7;
  return cls === 0 || cls === 1 || cls === 4 || cls === 7;
}

function aluStep(name: string, i: Insn, slot: number): Step | undefined {
  const { dst: d, src: s } = i;
  const next = slot + 1;
  let m = /^(\w+?)(64|32)_(imm|reg)$/.exec(name);
  if (m && (i.code & 7) !== 5 && (i.code & 7) !== 6) {
    const f = regOp(m[1], Number(m[2]));
    if (!f) return undefined;
    if (m[3] === "imm") {
      if (m[2] === "64" && (m[1] === "add" || m[1] === "sub")) {
        const k = m[1] === "add" ? i.imm : -i.imm;
        return (x) => {
          x.r[d] = addSmall(x.r[d], k);
          return next;
        };
      }
      const k = canon(immOperand(i.imm, Number(m[2])));
      return (x) => {
        x.r[d] = f(x.r[d], k);
        return next;
      };
    }
    return (x) => {
      x.r[d] = f(x.r[d], x.r[s]);
      return next;
    };
  }
  if ((m = /^neg(64|32)$/.exec(name))) {
    const f = neg(Number(m[1]));
    return (x) => {
      x.r[d] = canon(f(big(x.r[d])));
      return next;
    };
  }
  if ((m = /^movsx(64|32)_(\d+)$/.exec(name))) {
    const f = movsx(Number(m[2]), Number(m[1]));
    return (x) => {
      x.r[d] = canon(f(big(x.r[s])));
      return next;
    };
  }
  if ((m = /^(le|be|bswap)(\d+)$/.exec(name))) return swapStep(m[1] === "le", Number(m[2]), d, next);
  return undefined;
}

/** le16/32/64 truncate; be and bswap reverse the low `bits` bits' bytes. */
function swapStep(le: boolean, bits: number, d: number, next: number): Step {
  if (le && bits === 64) return () => next;
  if (le)
    return (x) => {
      x.r[d] = bits === 32 ? lo32(x.r[d]) : lo32(x.r[d]) & 0xffff;
      return next;
    };
  if (bits === 16)
    return (x) => {
      const v = lo32(x.r[d]);
      x.r[d] = ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
      return next;
    };
  if (bits === 32)
    return (x) => {
      const v = lo32(x.r[d]);
      x.r[d] = (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
      return next;
    };
  return (x) => {
    x.r[d] = canon(bswap(big(x.r[d]), bits));
    return next;
  };
}

const SIZES: Record<string, number> = { b: 1, h: 2, w: 4, dw: 8 };

function memStep(name: string, i: Insn, slot: number): Step | undefined {
  const { dst: d, src: s } = i;
  const off = i.off,
    next = slot + 1;
  let m = /^ldx(s?)(dw|w|h|b)$/.exec(name);
  if (m) {
    const size = SIZES[m[2]];
    if (m[1])
      return (x) => {
        x.r[d] = canon(BigInt.asUintN(64, BigInt.asIntN(size * 8, big(x.mem.load(addSmall(x.r[s], off), size, slot)))));
        return next;
      };
    return (x) => {
      x.r[d] = x.mem.load(addSmall(x.r[s], off), size, slot);
      return next;
    };
  }
  if ((m = /^(stx|st)(dw|w|h|b)$/.exec(name))) {
    const size = SIZES[m[2]];
    if (m[1] === "st") {
      const k = canon(BigInt.asUintN(64, BigInt(i.imm)));
      return (x) => {
        x.mem.store(addSmall(x.r[d], off), size, k, slot);
        return next;
      };
    }
    return (x) => {
      x.mem.store(addSmall(x.r[d], off), size, x.r[s], slot);
      return next;
    };
  }
  if (name === "lddw") {
    const v = canon(BigInt.asUintN(64, i.imm64 ?? 0n));
    return (x) => {
      x.r[d] = v;
      return slot + 2;
    };
  }
  if ((m = /^atomic(64|32)_(fetch_)?(\w+)$/.exec(name)))
    return atomicStep(m[3], !!m[2] || m[3] === "xchg", Number(m[1]), i, slot);
  return undefined;
}

function atomicStep(op: string, fetch: boolean, bits: number, i: Insn, slot: number): Step | undefined {
  const { dst: d, src: s } = i;
  const size = bits / 8,
    off = i.off,
    next = slot + 1;
  const trunc = (v: bigint) => canon(BigInt.asUintN(bits, v));
  if (op === "cmpxchg") {
    return (x) => {
      const a = addSmall(x.r[d], off);
      const old = x.mem.load(a, size, slot);
      if (old === trunc(big(x.r[0]))) x.mem.store(a, size, x.r[s], slot);
      x.r[0] = old;
      return next;
    };
  }
  const f = ATOMIC[op];
  if (!f) return undefined;
  return (x) => {
    const a = addSmall(x.r[d], off);
    const old = x.mem.load(a, size, slot);
    x.mem.store(a, size, trunc(f(big(old), big(x.r[s]))), slot);
    if (fetch) x.r[s] = old;
    return next;
  };
}

function jumpStep(name: string, i: Insn, slot: number, env: CompileEnv): Step | undefined {
  const { dst: d, src: s } = i;
  const next = slot + 1,
    taken = slot + 1 + i.off;
  const m = /^(j\w+?)(32)?_(imm|reg)$/.exec(name);
  if (m) {
    const bits = m[2] ? 32 : 64;
    const c = regCmp(m[1], bits);
    if (!c) return undefined;
    if (m[3] === "imm") {
      const k = canon(immOperand(i.imm, bits));
      return (x) => (c(x.r[d], k) ? taken : next);
    }
    return (x) => (c(x.r[d], x.r[s]) ? taken : next);
  }
  switch (name) {
    case "ja":
      return () => taken;
    case "gotol": {
      const to = slot + 1 + i.imm;
      return () => to;
    }
    case "exit":
      return exitStep;
    case "call":
      return helperStep(i.imm, slot, env);
    case "call_local":
      return localCall(slot + 1 + i.imm, slot);
    case "callx":
      return callxStep(d, slot, env);
  }
  if (name.startsWith("ld_pseudo")) {
    const v = env.pseudo(i, slot);
    return (x) => {
      x.r[d] = v;
      return slot + 2;
    };
  }
  return undefined;
}

function helperStep(id: number, slot: number, env: CompileEnv): Step {
  const h = env.helper(id);
  if (!h) throw new VmCompileError(`insn ${slot}: helper ${env.helperName(id)} is not implemented in the VM`);
  return (x) => {
    h(x, slot);
    return slot + 1;
  };
}

function callxStep(reg: number, slot: number, env: CompileEnv): Step {
  const at = env.helperAt;
  if (!at) throw new VmCompileError(`insn ${slot}: callx is not supported (the kernel refuses it too)`);
  return (x) => {
    at(lo32(x.r[reg]), slot)(x, slot);
    return slot + 1;
  };
}

function localCall(to: number, slot: number): Step {
  return (x) => {
    const depth = x.frames.length + 1;
    if (depth >= MAX_FRAMES) throw new VmFault(`call depth exceeds ${MAX_FRAMES} frames`, slot);
    x.frames.push({ ret: slot + 1, saved: x.r.slice(6, 11) });
    const st = x.stacks[depth];
    st.bytes.fill(0);
    x.r[10] = x.mem.ptr(st, st.bytes.length);
    return to;
  };
}

function exitStep(x: Machine): number {
  const f = x.frames.pop();
  if (!f) return -1;
  for (let k = 0; k < 5; k++) x.r[6 + k] = f.saved[k];
  return f.ret;
}

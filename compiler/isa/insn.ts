// The instruction value every phase shares: raw eBPF fields plus symbolic operands that are
// resolved at encode/relocation time. Produced by the assembler and the DSL back end, consumed by
// the encoder (compiler/isa/encode.ts), the printer and the ELF writer.
import type { Span } from "../span.js";

export interface Insn {
  /** Opcode byte: class | (size|source) | (mode|op). */
  code: number;
  dst: number; // 0..10
  src: number; // 0..10 (or a pseudo kind for ld_imm64 / call)
  off: number; // signed 16-bit
  imm: number; // signed 32-bit
  /** ld_imm64 (code 0x18) only: the full 64-bit immediate; the instruction is 16 bytes wide. */
  imm64?: bigint;
  /** Jump / gotol / local call target label, resolved to off (or imm for gotol/call) at encode time. */
  target?: string;
  /** Relocation symbol: a map name for ld_imm64, a function for `call sym`. */
  symbol?: string;
  span?: Span;
}

export const LD_IMM64 = 0x18;

/** An instruction from its raw fields (plus a jump `target`, `imm64`, `symbol` … in `extra`). */
export function insn(
  code: number,
  dst: number,
  src: number,
  off: number,
  imm: number,
  extra: Partial<Insn> = {},
): Insn {
  return { code, dst, src, off, imm, ...extra };
}

/** Width in 8-byte slots: ld_imm64 is one instruction of width 2. */
export function insnWidth(i: Pick<Insn, "code">): 1 | 2 {
  return i.code === LD_IMM64 ? 2 : 1;
}

// Opcode field constants (RFC 9669).
export const CLASS = { LD: 0, LDX: 1, ST: 2, STX: 3, ALU: 4, JMP: 5, JMP32: 6, ALU64: 7 } as const;
export const SRC = { K: 0x00, X: 0x08 } as const;
export const SIZE = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;
export const MODE = { IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, MEMSX: 0x80, ATOMIC: 0xc0 } as const;
export const ALU = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  MOV: 0xb0,
  ARSH: 0xc0,
  END: 0xd0,
} as const;
export const JMP = {
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  CALL: 0x80,
  EXIT: 0x90,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
  JCOND: 0xe0,
} as const;
/** Pseudo sources of ld_imm64 (the src field): BPF_PSEUDO_MAP_FD, _MAP_VALUE, _BTF_ID, _FUNC, … */
export const PSEUDO = { MAP_FD: 1, MAP_VALUE: 2, BTF_ID: 3, FUNC: 4, MAP_IDX: 5, MAP_IDX_VALUE: 6 } as const;
/** Pseudo sources of call: a helper, BPF_PSEUDO_CALL (a BPF-to-BPF call), BPF_PSEUDO_KFUNC_CALL. */
export const CALL_KIND = { HELPER: 0, LOCAL: 1, KFUNC: 2 } as const;
/** gotol (JMP32 | JA) and a BPF-to-BPF call (CALL with src CALL_KIND.LOCAL) jump by imm, not off. */
export const GOTOL = CLASS.JMP32 | JMP.JA;
export const CALL = CLASS.JMP | JMP.CALL;
export const EXIT = CLASS.JMP | JMP.EXIT;

export function insnClass(code: number): number {
  return code & 0x07;
}

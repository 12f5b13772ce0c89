// Printer: Insn → LLVM-syntax text exactly as llvm-objdump prints it. Takes one instruction and
// options (LLVM 14 decimal by default; `hex: true` gives llvm-objdump-19 --print-imm-hex; `alu32`
// the --mcpu=v3/v4 register forms); produces the text after the raw-bytes column. Jump targets
// are printed as +N/-N offsets; the objdump command may append `<label>`.
import type { Insn } from "./insn.js";
import { findEntry } from "./lookup.js";
import type { OpEntry } from "./table.js";

export interface PrintOptions {
  /** Immediates in hex (LLVM >= 16 --print-imm-hex style). */
  hex?: boolean;
  /** Which llvm-objdump to imitate; defaults to 19 with hex, 14 without. */
  llvm?: 14 | 19;
  /** alu32 register forms (`w0 = *(u32 *)…`), as llvm-objdump-19 --mcpu=v3 prints them. */
  alu32?: boolean;
}

export function templateFor(e: OpEntry, opts: PrintOptions): string | null {
  const llvm = opts.llvm ?? (opts.hex ? 19 : 14);
  if (llvm === 14) return e.llvm14 === undefined ? e.asm : e.llvm14;
  if (opts.alu32 && e.asm32 !== undefined) return e.asm32;
  return e.asm;
}

export function printInsn(insn: Insn, opts: PrintOptions = {}): string {
  const llvm = opts.llvm ?? (opts.hex ? 19 : 14);
  const e = findEntry(insn, llvm === 14);
  const t = e ? templateFor(e, opts) : null;
  if (t === null) return "<unknown>";
  return fill(t, insn, !!opts.hex);
}

const PLACEHOLDER = /%(rd|rs|wd|ws|imm64|imm|off|tgt|ltgt|sym|srcn|asd|ass|rimm|pimm)/g;

function fill(t: string, i: Insn, hex: boolean): string {
  return t.replace(PLACEHOLDER, (_m, p: string) => {
    switch (p) {
      case "rd": return `r${i.dst}`;
      case "rs": return `r${i.src}`;
      case "wd": return `w${i.dst}`;
      case "ws": return `w${i.src}`;
      case "imm": case "sym": return num(i.imm, hex);
      case "imm64": case "pimm": return num(BigInt.asIntN(64, i.imm64 ?? BigInt(i.imm)), hex);
      case "off": return i.off < 0 ? `- ${num(-i.off, hex)}` : `+ ${num(i.off, hex)}`;
      case "tgt": return signed(i.off, hex);
      case "ltgt": return signed(i.imm, hex);
      case "srcn": return num(i.src, hex);
      case "asd": return num(i.imm >>> 16, hex);
      case "ass": return num(i.imm & 0xffff, hex);
      case "rimm": return `r${i.imm}`;
    }
    return p;
  });
}

export function num(v: number | bigint, hex: boolean): string {
  if (!hex) return v.toString();
  const neg = v < 0;
  const abs = neg ? -BigInt(v) : BigInt(v);
  return `${neg ? "-" : ""}0x${abs.toString(16)}`;
}

function signed(v: number, hex: boolean): string {
  return v < 0 ? num(v, hex) : `+${num(v, hex)}`;
}

/**
 * The slot a jump (goto, if … goto, gotol, may_goto) or local call at `slot` lands on, for
 * objdump's `<label>` annotation; undefined for other instructions.
 */
export function branchTarget(insn: Insn, slot: number): number | undefined {
  const cls = insn.code & 7;
  if (cls !== 5 && cls !== 6) return undefined;
  const op = insn.code & 0xf0;
  if (insn.code === 0x06 || (insn.code === 0x85 && insn.src === 1)) return slot + 1 + insn.imm;
  if (op === 0x80 || op === 0x90 || (cls === 6 && (op === 0x00 || op === 0xe0))) return undefined;
  return slot + 1 + insn.off;
}

// The objdump model: takes ELF bytes and options and produces, per executable section, its symbol
// headers and decoded instructions with printed text, branch-target labels, relocations and BTF
// source lines — everything the text and JSON formatters print, decided the way llvm-objdump does.
import { decodeInsns } from "../isa/decode.js";
import { findEntry } from "../isa/lookup.js";
import { printInsn, templateFor } from "../isa/print.js";
import type { Insn } from "../isa/insn.js";
import { parseBtf, parseBtfExt } from "../elf/btf.js";
import { readElf, sectionByName, symbolName, type ElfFile, type ElfSection } from "../elf/read-elf.js";
import { isCodeSection, symbolsIn } from "../elf/read-object.js";
import { STT } from "../elf/write-elf.js";

export interface DisasmOptions {
  hex?: boolean; // --print-imm-hex (LLVM 19 style)
  section?: string; // -j NAME
}

export interface DisSymbol {
  name: string;
  addr: number;
}
export interface DisReloc {
  offset: number;
  type: string;
  symbol: string;
}
export interface DisSource {
  file: string;
  line: number;
  col: number;
  text: string;
}
export interface DisInsn {
  slot: number;
  bytes: Uint8Array;
  text: string;
  /** ` <sym>` / ` <sym+0x10>` for branches. */
  target?: string;
  relocs: DisReloc[];
  source?: DisSource;
  /** Set when a symbol header precedes this instruction. */
  symbol?: DisSymbol;
}
export interface DisSection {
  name: string;
  index: number;
  size: number;
  insns: DisInsn[];
}

export const RELOC_NAMES: Record<number, string> = {
  0: "R_BPF_NONE", 1: "R_BPF_64_64", 2: "R_BPF_64_ABS64", 3: "R_BPF_64_ABS32", 4: "R_BPF_64_NODYLD32", 10: "R_BPF_64_32",
};

export function disassemble(bytes: Uint8Array, opts: DisasmOptions = {}): { elf: ElfFile; sections: DisSection[] } {
  const elf = readElf(bytes);
  const lines = sourceLines(elf);
  const sections = elf.sections
    .filter((s) => isCodeSection(s) && s.size > 0 && (opts.section === undefined || s.name === opts.section))
    .map((s) => disassembleSection(elf, s, opts, lines.get(s.name)));
  return { elf, sections };
}

/** Symbols that label code, one per address (the last by name, as llvm-objdump), with a dummy at 0. */
function labels(elf: ElfFile, sec: ElfSection): DisSymbol[] {
  const syms = symbolsIn(elf, sec.index)
    .filter((s) => s.index > 0 && s.type !== STT.section && s.type !== STT.file && s.value < sec.size)
    .map((s) => ({ name: s.name, addr: s.value }))
    .sort((a, b) => a.addr - b.addr || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: DisSymbol[] = [];
  for (const s of syms) {
    if (out.length && out[out.length - 1].addr === s.addr) out[out.length - 1] = s;
    else out.push(s);
  }
  if (!out.length || out[0].addr !== 0) out.unshift({ name: sec.name, addr: 0 });
  return out;
}

function disassembleSection(elf: ElfFile, sec: ElfSection, opts: DisasmOptions, lines?: Map<number, DisSource>): DisSection {
  const syms = labels(elf, sec);
  const relocs = (elf.relocs.get(sec.index) ?? []).slice().sort((a, b) => a.offset - b.offset);
  const decoded = decodeInsns(sec.data.subarray(0, sec.size - (sec.size % 8)));
  const insns: DisInsn[] = [];
  let slot = 0, symIdx = 0, relIdx = 0;
  for (const insn of decoded) {
    const width = insn.imm64 !== undefined ? 2 : 1;
    const start = slot * 8, end = start + width * 8;
    const d: DisInsn = { slot, bytes: sec.data.subarray(start, end), text: printInsn(insn, { hex: !!opts.hex }), relocs: [] };
    while (symIdx < syms.length && syms[symIdx].addr < end) {
      if (syms[symIdx].addr >= start) d.symbol = syms[symIdx];
      symIdx++;
    }
    const t = branchTarget(insn, slot, opts);
    if (t !== undefined) d.target = targetLabel(syms, t);
    for (; relIdx < relocs.length && relocs[relIdx].offset < end; relIdx++) {
      const r = relocs[relIdx];
      if (r.offset < start) continue; // inside no instruction (e.g. past a truncated one)
      const sym = elf.symbols[r.symIndex];
      d.relocs.push({ offset: r.offset, type: RELOC_NAMES[r.type] ?? "Unknown", symbol: sym ? symbolName(elf, sym) : "" });
    }
    const src = lines?.get(start);
    if (src) d.source = src;
    insns.push(d);
    slot += width;
  }
  return { name: sec.name, index: sec.index, size: sec.size, insns };
}

/** Byte address a jump goes to (as a 64-bit unsigned value, as llvm-objdump computes it), when the
 * table's template prints a jump offset (%tgt / %ltgt). */
function branchTarget(insn: Insn, slot: number, opts: DisasmOptions): bigint | undefined {
  const e = findEntry(insn);
  const t = e ? templateFor(e, { hex: !!opts.hex }) : null;
  if (!t) return undefined;
  if (t.includes("%tgt")) return BigInt.asUintN(64, BigInt((slot + 1 + insn.off) * 8));
  if (t.includes("%ltgt")) return BigInt.asUintN(64, BigInt((slot + 1 + insn.imm) * 8));
  return undefined;
}

function targetLabel(syms: DisSymbol[], target: bigint): string | undefined {
  let lo = 0, hi = syms.length - 1, best: DisSymbol | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (BigInt(syms[mid].addr) <= target) (best = syms[mid]), (lo = mid + 1);
    else hi = mid - 1;
  }
  if (!best) return undefined;
  const delta = target - BigInt(best.addr);
  return delta === 0n ? `<${best.name}>` : `<${best.name}+0x${delta.toString(16)}>`;
}

/** BTF line info by section name and byte offset (empty when the object has no .BTF.ext). */
function sourceLines(elf: ElfFile): Map<string, Map<number, DisSource>> {
  const out = new Map<string, Map<number, DisSource>>();
  const btfSec = sectionByName(elf, ".BTF"), extSec = sectionByName(elf, ".BTF.ext");
  if (!btfSec || !extSec) return out;
  const btf = parseBtf(btfSec.data, btfSec.offset);
  const ext = parseBtfExt(extSec.data, btf, extSec.offset);
  for (const s of ext.lineInfo) {
    const m = out.get(s.section) ?? new Map<number, DisSource>();
    for (const r of s.records) m.set(r.insnOff, { file: btf.str(r.fileNameOff), line: r.line, col: r.col, text: btf.str(r.lineOff) });
    out.set(s.section, m);
  }
  return out;
}

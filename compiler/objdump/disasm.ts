// The objdump model: takes ELF bytes and options and produces, per executable section, its symbol
// headers and decoded instructions with printed text, branch-target labels, relocations and BTF
// source lines — everything the text and JSON formatters print, decided the way llvm-objdump does.
import { decodeInto } from "../isa/decode.js";
import { printerFor, type Printer } from "../isa/print.js";
import type { Insn } from "../isa/insn.js";
import { parseBtf, parseBtfExt } from "../elf/btf.js";
import { readElf, sectionByName, symbolName, type ElfFile, type ElfSection, type ElfSymbol } from "../elf/read-elf.js";
import { SHF, SHT, STT } from "../abi.js";

export interface DisasmOptions {
  hex?: boolean; // --print-imm-hex (LLVM 19 style)
  section?: string; // -j NAME
  /** The spelling imitated: llvm-objdump-19 (the default), or 14, which prints v4 instructions and
   * store-immediate (BPF_ST, which the DSL emits) as `<unknown>`. */
  llvm?: 14 | 19;
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
  0: "R_BPF_NONE",
  1: "R_BPF_64_64",
  2: "R_BPF_64_ABS64",
  3: "R_BPF_64_ABS32",
  4: "R_BPF_64_NODYLD32",
  10: "R_BPF_64_32",
};

export function disassemble(bytes: Uint8Array, opts: DisasmOptions = {}): { elf: ElfFile; sections: DisSection[] } {
  const { elf, plans } = planSections(bytes, opts);
  return { elf, sections: plans.map((p) => disassembleSection(p, opts)) };
}

/** What a section's walk needs, all read and checked up front (so bad input fails before output). */
export interface SectionPlan {
  name: string;
  index: number;
  size: number;
  data: Uint8Array;
  syms: DisSymbol[];
  /** Relocations by offset, with their printed type and symbol. */
  relocs: DisReloc[];
  lines?: Map<number, DisSource>;
}

export function planSections(bytes: Uint8Array, opts: DisasmOptions = {}): { elf: ElfFile; plans: SectionPlan[] } {
  const elf = readElf(bytes);
  const lines = sourceLines(elf);
  const bySection = new Map<number, ElfSymbol[]>(); // symbols by section, grouped once (stays linear)
  for (const sym of elf.symbols) {
    const l = bySection.get(sym.shndx);
    if (l) l.push(sym);
    else bySection.set(sym.shndx, [sym]);
  }
  const plans = elf.sections
    .filter(
      (s) =>
        s.type === SHT.PROGBITS &&
        (s.flags & SHF.EXECINSTR) !== 0 &&
        s.size > 0 &&
        (opts.section === undefined || s.name === opts.section),
    )
    .map((s): SectionPlan => {
      const relocs = (elf.relocs.get(s.index) ?? [])
        .slice()
        .sort((a, b) => a.offset - b.offset)
        .map((r) => {
          const sym = elf.symbols[r.symIndex];
          return { offset: r.offset, type: RELOC_NAMES[r.type] ?? "Unknown", symbol: sym ? symbolName(elf, sym) : "" };
        });
      return {
        name: s.name,
        index: s.index,
        size: s.size,
        data: s.data,
        syms: labels(bySection, s),
        relocs,
        lines: lines.get(s.name),
      };
    });
  return { elf, plans };
}

/** Symbols that label code, one per address (the last by name, as llvm-objdump), with a dummy at 0. */
function labels(bySection: Map<number, ElfSymbol[]>, sec: ElfSection): DisSymbol[] {
  const syms = (bySection.get(sec.index) ?? [])
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

/**
 * One instruction of a walk. The walk reuses this object (and `insn`) for every instruction, so a
 * visitor copies what it keeps. Its relocations are `plan.relocs[relocFrom .. relocTo)`.
 */
export interface WalkStep {
  slot: number;
  /** Byte range of the instruction in the section (8 or 16 bytes). */
  start: number;
  end: number;
  insn: Insn;
  /** The compiled template that prints `insn` (null: `<unknown>`). */
  printer: Printer | null;
  target: string | undefined;
  symbol: DisSymbol | undefined;
  relocFrom: number;
  relocTo: number;
  source: DisSource | undefined;
}

/** Decodes and prints a section's instructions in order, calling `visit` for each. */
export function walkSection(plan: SectionPlan, opts: DisasmOptions, visit: (step: WalkStep) => void): void {
  const { syms, relocs, lines, data } = plan;
  const popts = { hex: !!opts.hex, llvm: opts.llvm ?? 19 };
  const n = Math.floor(plan.size / 8);
  const step: WalkStep = {
    slot: 0,
    start: 0,
    end: 0,
    insn: { code: 0, dst: 0, src: 0, off: 0, imm: 0, imm64: undefined },
    printer: null,
    target: undefined,
    symbol: undefined,
    relocFrom: 0,
    relocTo: 0,
    source: undefined,
  };
  const insn = step.insn;
  let symIdx = 0,
    relIdx = 0;
  for (let slot = 0; slot < n; ) {
    const width = decodeInto(data, slot, n, insn);
    const start = slot * 8,
      end = start + width * 8;
    const p = printerFor(insn, popts);
    step.slot = slot;
    step.start = start;
    step.end = end;
    step.printer = p;
    step.target = p !== null && p.jump !== undefined ? targetLabel(syms, slot + 1 + insn[p.jump]) : undefined;
    step.symbol = undefined;
    while (symIdx < syms.length && syms[symIdx].addr < end) {
      if (syms[symIdx].addr >= start) step.symbol = syms[symIdx];
      symIdx++;
    }
    while (relIdx < relocs.length && relocs[relIdx].offset < start) relIdx++; // inside no instruction (e.g. past a truncated one)
    step.relocFrom = relIdx;
    while (relIdx < relocs.length && relocs[relIdx].offset < end) relIdx++;
    step.relocTo = relIdx;
    step.source = lines?.get(start);
    visit(step);
    slot += width;
  }
}

function disassembleSection(plan: SectionPlan, opts: DisasmOptions): DisSection {
  const insns: DisInsn[] = [];
  walkSection(plan, opts, (w) => {
    const d: DisInsn = {
      slot: w.slot,
      bytes: plan.data.subarray(w.start, w.end),
      text: w.printer === null ? "<unknown>" : w.printer(w.insn, !!opts.hex),
      relocs: plan.relocs.slice(w.relocFrom, w.relocTo),
    };
    if (w.symbol) d.symbol = w.symbol;
    if (w.target !== undefined) d.target = w.target;
    if (w.source) d.source = w.source;
    insns.push(d);
  });
  return { name: plan.name, index: plan.index, size: plan.size, insns };
}

/**
 * `<sym>` / `<sym+0x10>` for a jump to `slot` (the nearest symbol at or below its byte address,
 * which is taken as a 64-bit unsigned value, as llvm-objdump computes it); undefined below all.
 */
function targetLabel(syms: DisSymbol[], slot: number): string | undefined {
  if (slot < 0) return targetLabelBig(syms, BigInt.asUintN(64, BigInt(slot * 8)));
  const target = slot * 8;
  let lo = 0,
    hi = syms.length - 1,
    best: DisSymbol | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (syms[mid].addr <= target) (best = syms[mid]), (lo = mid + 1);
    else hi = mid - 1;
  }
  if (!best) return undefined;
  const delta = target - best.addr;
  return delta === 0 ? `<${best.name}>` : `<${best.name}+0x${delta.toString(16)}>`;
}

function targetLabelBig(syms: DisSymbol[], target: bigint): string | undefined {
  let lo = 0,
    hi = syms.length - 1,
    best: DisSymbol | undefined;
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
  const btfSec = sectionByName(elf, ".BTF"),
    extSec = sectionByName(elf, ".BTF.ext");
  if (!btfSec || !extSec) return out;
  const btf = parseBtf(btfSec.data, btfSec.offset);
  const ext = parseBtfExt(extSec.data, btf, extSec.offset);
  for (const s of ext.lineInfo) {
    const m = out.get(s.section) ?? new Map<number, DisSource>();
    for (const r of s.records)
      m.set(r.insnOff, { file: btf.str(r.fileNameOff), line: r.line, col: r.col, text: btf.str(r.lineOff) });
    out.set(s.section, m);
  }
  return out;
}

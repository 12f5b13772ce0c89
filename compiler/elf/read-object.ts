// BPF object reader: takes ELF bytes (ours or clang/libbpf-style) and returns the ObjectModel the
// loader and objdump use — programs per executable section with .text subprograms statically
// appended (call immediates fixed up), relocations by slot, maps from BTF `.maps` or legacy `maps`,
// license, load-ready BTF (DATASEC sizes/offsets fixed from the symbol table), func/line info, CO-RE
// relocation records (applied by loader/core-relo.ts), log formats.
import type { BtfExtRecords, LoadedMap, LoadedProgram, LogFormat, ObjectModel, ProgramReloc } from "../object.js";
import { ElfFormatError } from "./bytes.js";
import { parseBtf, parseBtfExt, resolveType, typeSize, type BtfExt, type ParsedBtf } from "./btf.js";
import { readElf, sectionByName, symbolName, type ElfFile, type ElfReloc, type ElfSection, type ElfSymbol } from "./read-elf.js";
import { CALL_KIND, PSEUDO, SHF, SHT, STT } from "../abi.js";
import { CLASS, JMP, LD_IMM64 } from "../isa/insn.js";
import { LOGFMT_SECTION } from "./write-object.js";

/** A function's byte range inside an executable section. */
export interface CodeRange {
  section: ElfSection;
  name: string;
  start: number;
  end: number;
}

export function readBpfObject(bytes: Uint8Array): ObjectModel {
  const elf = readElf(bytes);
  const btfSec = sectionByName(elf, ".BTF");
  const btf = btfSec ? parseBtf(btfSec.data, btfSec.offset) : undefined;
  const extSec = sectionByName(elf, ".BTF.ext");
  if (extSec && !btf) throw new ElfFormatError(".BTF.ext without .BTF", extSec.offset);
  const ext = btf && extSec ? parseBtfExt(extSec.data, btf, extSec.offset) : undefined;
  const model: ObjectModel = {
    license: readLicense(elf),
    programs: readPrograms(elf, ext),
    maps: readMaps(elf, btf),
  };
  if (btf && btfSec) model.btf = fixBtfForLoad(elf, btfSec, btf);
  const logFormats = readLogFormats(elf);
  if (logFormats) model.logFormats = logFormats;
  return model;
}

function readLicense(elf: ElfFile): string {
  const s = sectionByName(elf, "license");
  if (!s) return "";
  const end = s.data.indexOf(0);
  return new TextDecoder().decode(s.data.subarray(0, end < 0 ? s.data.length : end));
}

/** Code sections: executable PROGBITS. */
export function isCodeSection(s: ElfSection): boolean {
  return s.type === SHT.PROGBITS && (s.flags & SHF.EXECINSTR) !== 0;
}

const bySection = new WeakMap<ElfFile, Map<number, ElfSymbol[]>>();

/** Symbols grouped by section index (computed once per file, so hostile inputs stay linear). */
export function symbolsIn(elf: ElfFile, shndx: number): ElfSymbol[] {
  let m = bySection.get(elf);
  if (!m) {
    m = new Map();
    for (const s of elf.symbols) {
      const l = m.get(s.shndx);
      if (l) l.push(s);
      else m.set(s.shndx, [s]);
    }
    bySection.set(elf, m);
  }
  return m.get(shndx) ?? [];
}

/** The functions of a code section: FUNC symbols (else the whole section under its own name). */
export function functionsOf(elf: ElfFile, sec: ElfSection): CodeRange[] {
  const syms = symbolsIn(elf, sec.index)
    .filter((s) => s.type === STT.func)
    .sort((a, b) => a.value - b.value);
  if (!syms.length) {
    if (sec.size % 8) throw new ElfFormatError(`code section ${sec.name} is not a whole number of instructions`, sec.offset);
    return sec.size ? [{ section: sec, name: sec.name, start: 0, end: sec.size }] : [];
  }
  return syms.map((s, i) => {
    const next = i + 1 < syms.length ? syms[i + 1].value : sec.size;
    const end = s.size ? s.value + s.size : next;
    if (s.value % 8 || end % 8 || end > sec.size || end < s.value) throw new ElfFormatError(`function ${s.name} lies outside section ${sec.name}`, symOff(elf, s));
    return { section: sec, name: s.name, start: s.value, end };
  });
}

function symOff(elf: ElfFile, s: ElfSymbol): number {
  const symtab = elf.sections.find((x) => x.type === SHT.SYMTAB);
  return (symtab?.offset ?? 0) + s.index * 24;
}

function relocAt(elf: ElfFile, sec: ElfSection): Map<number, ElfReloc> {
  const m = new Map<number, ElfReloc>();
  for (const r of elf.relocs.get(sec.index) ?? []) m.set(r.offset, r);
  return m;
}

function readPrograms(elf: ElfFile, ext: BtfExt | undefined): LoadedProgram[] {
  const text = sectionByName(elf, ".text");
  const textFuncs = text && isCodeSection(text) ? functionsOf(elf, text) : [];
  const out: LoadedProgram[] = [];
  for (const sec of elf.sections) {
    if (!isCodeSection(sec) || sec.name === ".text" || sec.size === 0) continue;
    for (const f of functionsOf(elf, sec)) out.push(linkProgram(elf, f, textFuncs, ext));
  }
  return out;
}

/** Copies a program and appends every .text function it (transitively) calls, fixing call immediates. */
function linkProgram(elf: ElfFile, entry: CodeRange, textFuncs: CodeRange[], ext: BtfExt | undefined): LoadedProgram {
  const parts: { range: CodeRange; base: number }[] = [{ range: entry, base: 0 }];
  const baseOf = new Map<CodeRange, number>([[entry, 0]]);
  let total = (entry.end - entry.start) / 8;
  const placed = (fn: CodeRange): number => {
    const known = baseOf.get(fn);
    if (known !== undefined) return known;
    parts.push({ range: fn, base: total });
    baseOf.set(fn, total);
    total += (fn.end - fn.start) / 8;
    return parts[parts.length - 1].base;
  };
  const relocs: ProgramReloc[] = [];
  const chunks: Uint8Array[] = [];
  for (let k = 0; k < parts.length; k++) {
    const { range, base } = parts[k];
    const code = range.section.data.slice(range.start, range.end);
    const view = new DataView(code.buffer);
    const rel = relocAt(elf, range.section);
    for (let off = 0; off + 8 <= code.length; off += 8) {
      const r = rel.get(range.start + off);
      const code0 = code[off], src = code[off + 1] >>> 4;
      const isCall = code0 === (CLASS.JMP | JMP.CALL) && src === CALL_KIND.LOCAL;
      const sym = r ? elf.symbols[r.symIndex] : undefined;
      // A function address: src 4, or (clang) a plain ld_imm64 relocated against code, which libbpf turns into src 4.
      const isFuncLoad = code0 === LD_IMM64 && (src === PSEUDO.FUNC || (!!sym && sym.shndx < elf.sections.length && isCodeSection(elf.sections[sym.shndx])));
      if (isCall || isFuncLoad) {
        const imm = view.getInt32(off + 4, true);
        const target = callTarget(elf, range, off, imm, sym, textFuncs, isFuncLoad);
        if (target) {
          const slot = base + off / 8;
          const newBase = placed(target.fn);
          view.setInt32(off + 4, newBase + target.slotInFn - (slot + 1), true);
          if (isFuncLoad) code[off + 1] = (PSEUDO.FUNC << 4) | (code[off + 1] & 0xf);
          relocs.push({ slot, symbol: target.fn.name, kind: "call" });
          continue;
        }
      }
      if (r && sym) relocs.push({ slot: base + off / 8, symbol: relocSymbolName(elf, sym), kind: relocKind(elf, sym, code0) });
    }
    chunks.push(code);
  }
  const insns = new Uint8Array(total * 8);
  parts.forEach((p, i) => insns.set(chunks[i], p.base * 8));
  const prog: LoadedProgram = { name: entry.name, section: entry.section.name, insns, relocs };
  if (ext) prog.btfExt = extRecords(ext, parts);
  return prog;
}

/** Where a BPF-to-BPF call (or a ld_imm64 of a function address) goes, as libbpf computes it:
 * relocated calls use sym + (imm + 1) slots, relocated function loads sym + imm bytes, others are relative. */
function callTarget(elf: ElfFile, range: CodeRange, off: number, imm: number, sym: ElfSymbol | undefined, textFuncs: CodeRange[], isLoad: boolean): { fn: CodeRange; slotInFn: number } | undefined {
  let sec = range.section, targetOff: number;
  if (sym) {
    if (sym.shndx >= elf.sections.length || sym.shndx === 0) throw new ElfFormatError(`call relocation against undefined symbol ${sym.name}`, range.section.offset + range.start + off);
    sec = elf.sections[sym.shndx];
    targetOff = isLoad ? sym.value + imm : sym.value + (imm + 1) * 8;
  } else targetOff = range.start + off + (imm + 1) * 8;
  const fns = sec === range.section && sec.name !== ".text" ? [range] : sec.name === ".text" ? textFuncs : [];
  const fn = findRange(fns, targetOff);
  if (!fn) {
    if (!sym && sec === range.section) return undefined; // a call inside this function: keep as is
    throw new ElfFormatError(`call target outside any function`, range.section.offset + range.start + off);
  }
  if (fn === range && !sym) return undefined;
  if ((targetOff - fn.start) % 8) throw new ElfFormatError("call target inside an instruction", range.section.offset + range.start + off);
  return { fn, slotInFn: (targetOff - fn.start) / 8 };
}

/** Binary search in ranges sorted by start. */
function findRange(fns: CodeRange[], off: number): CodeRange | undefined {
  let lo = 0, hi = fns.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (fns[mid].end <= off) lo = mid + 1;
    else if (fns[mid].start > off) hi = mid - 1;
    else return fns[mid];
  }
  return undefined;
}

function relocSymbolName(elf: ElfFile, sym: ElfSymbol): string {
  return symbolName(elf, sym);
}

function relocKind(elf: ElfFile, sym: ElfSymbol, code: number): ProgramReloc["kind"] {
  const sec = sym.shndx < elf.sections.length ? elf.sections[sym.shndx] : undefined;
  if (sec && (sec.name === ".maps" || sec.name === "maps" || sec.name.startsWith("maps/"))) return "map";
  const data = sec && (sec.name.startsWith(".data") || sec.name.startsWith(".rodata") || sec.name.startsWith(".bss"));
  if (code === LD_IMM64 && data) return "data";
  return "other";
}

function extRecords(ext: BtfExt, parts: { range: CodeRange; base: number }[]): BtfExtRecords {
  const out: BtfExtRecords = { funcInfo: [], lineInfo: [] };
  for (const { range, base } of parts) {
    const within = (o: number) => o >= range.start && o < range.end;
    const slot = (o: number) => base + Math.floor((o - range.start) / 8);
    for (const s of ext.funcInfo) if (s.section === range.section.name)
      for (const r of s.records) if (within(r.insnOff)) out.funcInfo.push({ insnOff: slot(r.insnOff), typeId: r.typeId });
    for (const s of ext.lineInfo) if (s.section === range.section.name)
      for (const r of s.records) if (within(r.insnOff)) out.lineInfo.push({ ...r, insnOff: slot(r.insnOff) });
    for (const s of ext.coreRelo ?? []) if (s.section === range.section.name)
      for (const r of s.records) if (within(r.insnOff)) (out.coreRelo ??= []).push({ ...r, insnOff: slot(r.insnOff) });
  }
  return out;
}

// ---- maps ----

function readMaps(elf: ElfFile, btf: ParsedBtf | undefined): LoadedMap[] {
  const out: LoadedMap[] = [];
  const maps = sectionByName(elf, ".maps");
  if (maps) {
    if (!btf) throw new ElfFormatError("section .maps without .BTF", maps.offset);
    out.push(...readBtfMaps(elf, maps, btf));
  }
  const legacy = sectionByName(elf, "maps");
  if (legacy) out.push(...readLegacyMaps(elf, legacy));
  return out;
}

function readBtfMaps(elf: ElfFile, sec: ElfSection, btf: ParsedBtf): LoadedMap[] {
  const ds = btf.types.find((t) => t.kind === "datasec" && t.name === ".maps");
  if (!ds || ds.kind !== "datasec") return [];
  return ds.vars.map((v) => {
    const vt = btf.types[v.type];
    if (!vt || vt.kind !== "var") throw new ElfFormatError(`.maps DATASEC entry ${v.type} is not a VAR`, sec.offset);
    const st = btf.types[resolveType(btf, vt.type)];
    if (st.kind !== "struct") throw new ElfFormatError(`map ${vt.name} is not a struct`, sec.offset);
    const map: LoadedMap = { name: vt.name, type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0 };
    for (const m of st.members) {
      const ptr = btf.types[resolveType(btf, m.type)];
      if (ptr.kind !== "ptr") continue;
      const target = resolveType(btf, ptr.type);
      const arr = btf.types[target];
      const n = arr.kind === "array" ? arr.nelems : 0;
      switch (m.name) {
        case "type": map.type = n; break;
        case "max_entries": map.maxEntries = n; break;
        case "map_flags": map.flags = n; break;
        case "key_size": map.keySize = n; break;
        case "value_size": map.valueSize = n; break;
        case "key": (map.keySize = typeSize(btf, ptr.type)), (map.btfKeyTypeId = ptr.type); break;
        case "value": (map.valueSize = typeSize(btf, ptr.type)), (map.btfValueTypeId = ptr.type); break;
      }
    }
    return map;
  });
}

function readLegacyMaps(elf: ElfFile, sec: ElfSection): LoadedMap[] {
  const syms = symbolsIn(elf, sec.index).filter((s) => s.type !== STT.section).sort((a, b) => a.value - b.value);
  if (!syms.length) return [];
  const defSize = Math.floor(sec.size / syms.length);
  if (defSize < 20) throw new ElfFormatError("legacy maps section too small for its symbols", sec.offset);
  const view = new DataView(sec.data.buffer, sec.data.byteOffset, sec.data.byteLength);
  return syms.map((s) => {
    if (s.value + 20 > sec.data.length) throw new ElfFormatError(`map ${s.name} lies outside section maps`, symOff(elf, s));
    const u = (i: number) => view.getUint32(s.value + 4 * i, true);
    return { name: s.name, type: u(0), keySize: u(1), valueSize: u(2), maxEntries: u(3), flags: u(4) };
  });
}

// ---- BTF for BPF_BTF_LOAD ----

/** clang leaves DATASEC sizes and VAR offsets 0 in .o files; fill them from the ELF as libbpf does. */
function fixBtfForLoad(elf: ElfFile, sec: ElfSection, btf: ParsedBtf): Uint8Array {
  const out = sec.data.slice();
  const view = new DataView(out.buffer);
  btf.types.forEach((t, id) => {
    if (t.kind !== "datasec") return;
    const at = btf.offsets[id];
    const target = sectionByName(elf, t.name);
    if (t.size === 0 && target) view.setUint32(at + 8, target.size, true);
    t.vars.forEach((v, i) => {
      const vt = btf.types[v.type];
      if (!vt || vt.kind !== "var" || !target) return;
      const sym = symbolsIn(elf, target.index).find((s) => s.name === vt.name);
      if (sym && v.offset === 0) view.setUint32(at + 12 + i * 12 + 4, sym.value, true);
    });
  });
  return out;
}

function readLogFormats(elf: ElfFile): LogFormat[] | undefined {
  const s = sectionByName(elf, LOGFMT_SECTION);
  if (!s) return undefined;
  try {
    const j = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(s.data)) as { version?: number; formats?: LogFormat[] };
    if (j.version !== 1 || !Array.isArray(j.formats)) throw new Error("bad version");
    for (const f of j.formats)
      if (!f || !Array.isArray(f.pieces) || !Array.isArray(f.args) || f.pieces.length !== f.args.length + 1) throw new Error("bad format entry");
    return j.formats;
  } catch {
    throw new ElfFormatError(`malformed ${LOGFMT_SECTION}`, s.offset);
  }
}

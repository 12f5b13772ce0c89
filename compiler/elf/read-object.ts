// BPF object reader: takes ELF bytes (ours or clang/libbpf-style) and returns the ObjectModel the
// loader and the VM use — programs per executable section and the .text functions they call, each
// as Insn[] with relocation records by slot (calls name their callee; compiler/link/relocate.ts
// links them and points map loads at fds, no bytes are patched here), maps from BTF `.maps` or legacy `maps`
// and the arrays libbpf makes of global data sections (read-globals.ts), license, load-ready BTF (DATASEC sizes/offsets fixed from the symbol table), func/line info, CO-RE
// relocation records (applied by loader/core-relo.ts), log formats.
import {
  RECORD_TAG,
  type BtfExtRecords,
  type LoadedMap,
  type LoadedProgram,
  type LogFormat,
  type ObjFunction,
  type ObjectModel,
  type ProgramReloc,
} from "../object.js";
import { decodeInsns } from "../isa/decode.js";
import { slotIndex } from "../isa/encode.js";
import { ElfFormatError, utf8Text } from "./bytes.js";
import { parseBtf, parseBtfExt, resolveType, typeSize, type BtfExt, type ParsedBtf } from "./btf.js";
import {
  readElf,
  sectionByName,
  symbolName,
  symbolsIn,
  type ElfFile,
  type ElfReloc,
  type ElfSection,
  type ElfSymbol,
} from "./read-elf.js";
import { CALL_KIND, MAP_TYPE, PSEUDO, SHF, SHT, STT } from "../abi.js";
import { CLASS, JMP, LD_IMM64 } from "../isa/insn.js";
import { LOGFMT_SECTION } from "../log-record.js";
import { globalKind, readGlobals, varOffsets } from "./read-globals.js";

/** A function's byte range inside an executable section. */
export interface CodeRange {
  section: ElfSection;
  name: string;
  start: number;
  end: number;
}

export interface ReadOptions {
  /** libbpf's object name (objectName(file): "firewall" for firewall.bpf.o), the prefix of global
   * data map names ("firewall.rodata"); default none (".rodata"). */
  name?: string;
}

export function readBpfObject(bytes: Uint8Array, opts: ReadOptions = {}): ObjectModel {
  const elf = readElf(bytes);
  const btfSec = sectionByName(elf, ".BTF");
  const btf = btfSec ? parseBtf(btfSec.data, btfSec.offset) : undefined;
  const extSec = sectionByName(elf, ".BTF.ext");
  if (extSec && !btf) throw new ElfFormatError(".BTF.ext without .BTF", extSec.offset);
  const ext = btf && extSec ? parseBtfExt(extSec.data, btf, extSec.offset) : undefined;
  const maps = [...readMaps(elf, btf), ...readGlobals(elf, btf, opts.name ?? "")];
  const model: ObjectModel = { license: readLicense(elf), ...readPrograms(elf, ext), maps };
  if (btf && btfSec) model.btf = fixBtfForLoad(elf, btfSec, btf);
  const logFormats = readLogFormats(elf);
  if (logFormats) model.logFormats = logFormats;
  return model;
}

function readLicense(elf: ElfFile): string {
  const s = sectionByName(elf, "license");
  if (!s) return "";
  const end = s.data.indexOf(0);
  return utf8Text(s.data.subarray(0, end < 0 ? s.data.length : end));
}

/** Code sections: executable PROGBITS. */
export function isCodeSection(s: ElfSection): boolean {
  return s.type === SHT.PROGBITS && (s.flags & SHF.EXECINSTR) !== 0;
}

/** The functions of a code section: FUNC symbols (else the whole section under its own name). */
export function functionsOf(elf: ElfFile, sec: ElfSection): CodeRange[] {
  const syms = symbolsIn(elf, sec.index)
    .filter((s) => s.type === STT.func)
    .sort((a, b) => a.value - b.value);
  if (!syms.length) {
    if (sec.size % 8)
      throw new ElfFormatError(`code section ${sec.name} is not a whole number of instructions`, sec.offset);
    return sec.size ? [{ section: sec, name: sec.name, start: 0, end: sec.size }] : [];
  }
  return syms.map((s, i) => {
    const next = i + 1 < syms.length ? syms[i + 1].value : sec.size;
    const end = s.size ? s.value + s.size : next;
    if (s.value % 8 || end % 8 || end > sec.size || end < s.value)
      throw new ElfFormatError(`function ${s.name} lies outside section ${sec.name}`, symOff(elf, s));
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

function readPrograms(elf: ElfFile, ext: BtfExt | undefined): Pick<ObjectModel, "programs" | "functions"> {
  const text = sectionByName(elf, ".text");
  const textFuncs = text && isCodeSection(text) ? functionsOf(elf, text) : [];
  const programs: LoadedProgram[] = [];
  for (const sec of elf.sections) {
    if (!isCodeSection(sec) || sec.name === ".text" || sec.size === 0) continue;
    for (const f of functionsOf(elf, sec)) programs.push(readFunction(elf, f, textFuncs, ext));
  }
  return { programs, functions: textFuncs.map((f) => readFunction(elf, f, textFuncs, ext)) };
}

/** One function as it stands in the file: its instructions, and its relocations by slot from its
 * start; a call (or ld_imm64 of a function) names the function and slot it goes to. */
function readFunction(elf: ElfFile, range: CodeRange, textFuncs: CodeRange[], ext: BtfExt | undefined): ObjFunction {
  const code = range.section.data.subarray(range.start, range.end);
  const insns = decodeInsns(code);
  const starts = new Set(slotIndex(insns).map((s) => s * 8));
  const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
  const rel = relocAt(elf, range.section);
  const relocs: ProgramReloc[] = [];
  for (let off = 0; off + 8 <= code.length; off += 8) {
    const r = rel.get(range.start + off);
    const sym = r ? elf.symbols[r.symIndex] : undefined;
    const target = starts.has(off) ? linkTarget(elf, range, off, view, sym, textFuncs) : undefined;
    if (target) {
      const callee = { func: textFuncs.indexOf(target.fn), slot: target.slotInFn };
      relocs.push({ slot: off / 8, symbol: target.fn.name, kind: "call", callee });
    } else if (r && sym) relocs.push(symbolReloc(elf, sym, off / 8, code[off]!));
  }
  const f: ObjFunction = { name: range.name, section: range.section.name, insns, relocs };
  if (ext) f.btfExt = extRecords(ext, range);
  return f;
}

/** The function a BPF-to-BPF call or a ld_imm64 of a function's address at `off` goes to, if it is one. */
function linkTarget(
  elf: ElfFile,
  range: CodeRange,
  off: number,
  view: DataView,
  sym: ElfSymbol | undefined,
  textFuncs: CodeRange[],
): ReturnType<typeof callTarget> {
  const code0 = view.getUint8(off),
    src = view.getUint8(off + 1) >>> 4;
  const isCall = code0 === (CLASS.JMP | JMP.CALL) && src === CALL_KIND.LOCAL;
  // A function address: src 4, or (clang) a plain ld_imm64 relocated against code, which libbpf turns into src 4.
  const againstCode = !!sym && sym.shndx < elf.sections.length && isCodeSection(elf.sections[sym.shndx]);
  const isFuncLoad = code0 === LD_IMM64 && (src === PSEUDO.FUNC || againstCode);
  if (!isCall && !isFuncLoad) return undefined;
  return callTarget(elf, range, off, view.getInt32(off + 4, true), sym, textFuncs, isFuncLoad);
}

/** Where a BPF-to-BPF call (or a ld_imm64 of a function address) goes, as libbpf computes it:
 * relocated calls use sym + (imm + 1) slots, relocated function loads sym + imm bytes, others are relative. */
function callTarget(
  elf: ElfFile,
  range: CodeRange,
  off: number,
  imm: number,
  sym: ElfSymbol | undefined,
  textFuncs: CodeRange[],
  isLoad: boolean,
): { fn: CodeRange; slotInFn: number } | undefined {
  let sec = range.section,
    targetOff: number;
  if (sym) {
    if (sym.shndx >= elf.sections.length || sym.shndx === 0)
      throw new ElfFormatError(
        `call relocation against undefined symbol ${sym.name}`,
        range.section.offset + range.start + off,
      );
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
  if ((targetOff - fn.start) % 8)
    throw new ElfFormatError("call target inside an instruction", range.section.offset + range.start + off);
  return { fn, slotInFn: (targetOff - fn.start) / 8 };
}

/** Binary search in ranges sorted by start. */
function findRange(fns: CodeRange[], off: number): CodeRange | undefined {
  let lo = 0,
    hi = fns.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (fns[mid].end <= off) lo = mid + 1;
    else if (fns[mid].start > off) hi = mid - 1;
    else return fns[mid];
  }
  return undefined;
}

/** A relocation against a map, global data or anything else, as libbpf's record_reloc sorts them. */
function symbolReloc(elf: ElfFile, sym: ElfSymbol, slot: number, code: number): ProgramReloc {
  const symbol = symbolName(elf, sym);
  const sec = sym.shndx < elf.sections.length ? elf.sections[sym.shndx] : undefined;
  if (sec && (sec.name === ".maps" || sec.name === "maps" || sec.name.startsWith("maps/")))
    return { slot, symbol, kind: "map" };
  if (sec && code === LD_IMM64 && globalKind(sec))
    return { slot, symbol, kind: "data", data: { section: sec.name, offset: sym.value } };
  return { slot, symbol, kind: "other" };
}

function extRecords(ext: BtfExt, range: CodeRange): BtfExtRecords {
  const out: BtfExtRecords = { funcInfo: [], lineInfo: [] };
  const within = (o: number) => o >= range.start && o < range.end;
  const slot = (o: number) => Math.floor((o - range.start) / 8);
  for (const s of ext.funcInfo)
    if (s.section === range.section.name)
      for (const r of s.records)
        if (within(r.insnOff)) out.funcInfo.push({ insnOff: slot(r.insnOff), typeId: r.typeId });
  for (const s of ext.lineInfo)
    if (s.section === range.section.name)
      for (const r of s.records) if (within(r.insnOff)) out.lineInfo.push({ ...r, insnOff: slot(r.insnOff) });
  for (const s of ext.coreRelo ?? [])
    if (s.section === range.section.name)
      for (const r of s.records) if (within(r.insnOff)) (out.coreRelo ??= []).push({ ...r, insnOff: slot(r.insnOff) });
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
  const valuesAt = new Map<string, number>();
  const maps = ds.vars.map((v) => {
    const vt = btf.types[v.type];
    if (!vt || vt.kind !== "var") throw new ElfFormatError(`.maps DATASEC entry ${v.type} is not a VAR`, sec.offset);
    const st = btf.types[resolveType(btf, vt.type)];
    if (st.kind !== "struct") throw new ElfFormatError(`map ${vt.name} is not a struct`, sec.offset);
    const map: LoadedMap = { name: vt.name, type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0 };
    const record = recordType(btf, v.type);
    if (record !== undefined) map.btfRecordTypeId = record;
    for (const m of st.members) {
      const ptr = btf.types[resolveType(btf, m.type)];
      if (ptr.kind !== "ptr") continue;
      const target = resolveType(btf, ptr.type);
      const arr = btf.types[target];
      const n = arr.kind === "array" ? arr.nelems : 0;
      switch (m.name) {
        case "type":
          map.type = n;
          break;
        case "max_entries":
          map.maxEntries = n;
          break;
        case "map_flags":
          map.flags = n;
          break;
        case "key_size":
          map.keySize = n;
          break;
        case "value_size":
          map.valueSize = n;
          break;
        case "key":
          (map.keySize = typeSize(btf, ptr.type)), (map.btfKeyTypeId = ptr.type);
          break;
        case "value":
          (map.valueSize = typeSize(btf, ptr.type)), (map.btfValueTypeId = ptr.type);
          break;
      }
    }
    const values = st.members.find((m) => m.name === "values");
    if (values) {
      valuesAt.set(map.name, values.bitOffset / 8); // __array(values, …): program (fd) slots, 8 bytes each
      map.valueSize ||= 4;
    }
    return map;
  });
  progArrayInits(elf, sec, maps, valuesAt);
  return maps;
}

/** `.rel.maps`: each relocation in a map's `values` array names the program at that index
 * (libbpf fills such a prog array when it loads the object). */
function progArrayInits(elf: ElfFile, sec: ElfSection, maps: LoadedMap[], valuesAt: Map<string, number>): void {
  const syms = symbolsIn(elf, sec.index).filter((x) => x.type !== STT.section);
  for (const r of elf.relocs.get(sec.index) ?? []) {
    const m = syms.find((x) => r.offset >= x.value && r.offset < x.value + x.size);
    const map = m && maps.find((x) => x.name === m.name);
    const base = map && valuesAt.get(map.name);
    const target = elf.symbols[r.symIndex];
    if (!m || !map || base === undefined || !target || (r.offset - m.value - base) % 8)
      throw new ElfFormatError(`relocation in .maps at ${r.offset} is not an entry of a map's values array`, r.at);
    if (map.type !== MAP_TYPE.PROG_ARRAY)
      throw new ElfFormatError(`map ${map.name}: only prog arrays can be initialised (${target.name})`, r.at);
    (map.progInit ??= []).push({ index: (r.offset - m.value - base) / 8, program: target.name });
  }
}

const NAMED_RECORDS = new Set(["struct", "union", "int", "typedef", "enum", "enum64"]);

/** The record type a RECORD_TAG decl tag on the map's VAR names (the first type of that name). */
function recordType(btf: ParsedBtf, mapVar: number): number | undefined {
  const tag = btf.types.find((t) => t.kind === "decl_tag" && t.type === mapVar && t.name.startsWith(RECORD_TAG));
  if (!tag || tag.kind !== "decl_tag") return undefined;
  const name = tag.name.slice(RECORD_TAG.length);
  const id = btf.types.findIndex((t) => NAMED_RECORDS.has(t.kind) && "name" in t && t.name === name);
  return id > 0 ? id : undefined;
}

function readLegacyMaps(elf: ElfFile, sec: ElfSection): LoadedMap[] {
  const syms = symbolsIn(elf, sec.index)
    .filter((s) => s.type !== STT.section)
    .sort((a, b) => a.value - b.value);
  if (!syms.length) return [];
  const defSize = Math.floor(sec.size / syms.length);
  if (defSize < 20) throw new ElfFormatError("legacy maps section too small for its symbols", sec.offset);
  const view = new DataView(sec.data.buffer, sec.data.byteOffset, sec.data.byteLength);
  return syms.map((s) => {
    if (s.value + 20 > sec.data.length)
      throw new ElfFormatError(`map ${s.name} lies outside section maps`, symOff(elf, s));
    const u = (i: number) => view.getUint32(s.value + 4 * i, true);
    return { name: s.name, type: u(0), keySize: u(1), valueSize: u(2), maxEntries: u(3), flags: u(4) };
  });
}

// ---- BTF for BPF_BTF_LOAD ----

/** clang leaves DATASEC sizes and VAR offsets 0 in .o files; fill them from the ELF and sort each
 * DATASEC's VARs by offset (the kernel requires it), as libbpf's btf_fixup_datasec does. */
function fixBtfForLoad(elf: ElfFile, sec: ElfSection, btf: ParsedBtf): Uint8Array {
  const out = sec.data.slice();
  const view = new DataView(out.buffer);
  btf.types.forEach((t, id) => {
    if (t.kind !== "datasec") return;
    const at = btf.offsets[id];
    const target = sectionByName(elf, t.name);
    if (t.size === 0 && target) view.setUint32(at + 8, target.size, true);
    const offsets = varOffsets(elf, btf, t);
    const vars = t.vars.map((v, i) => ({ ...v, offset: offsets[i]! })).sort((a, b) => a.offset - b.offset);
    vars.forEach((v, i) => {
      const rec = at + 12 + i * 12;
      view.setUint32(rec, v.type, true), view.setUint32(rec + 4, v.offset, true), view.setUint32(rec + 8, v.size, true);
    });
  });
  return out;
}

function readLogFormats(elf: ElfFile): LogFormat[] | undefined {
  const s = sectionByName(elf, LOGFMT_SECTION);
  if (!s) return undefined;
  try {
    const j = JSON.parse(utf8Text(s.data, true)) as {
      version?: number;
      formats?: LogFormat[];
    };
    if (j.version !== 1 || !Array.isArray(j.formats)) throw new Error("bad version");
    for (const f of j.formats)
      if (!f || !Array.isArray(f.pieces) || !Array.isArray(f.args) || f.pieces.length !== f.args.length + 1)
        throw new Error("bad format entry");
    return j.formats;
  } catch {
    throw new ElfFormatError(`malformed ${LOGFMT_SECTION}`, s.offset);
  }
}

// Generic ELF64 little-endian reader: takes object bytes and returns the header, the section table
// (with each section's bytes as a view), the symbol table and the relocation tables. Every offset,
// size and index is validated; malformed input throws ElfFormatError naming the offset.
import { ByteReader, ElfFormatError } from "./bytes.js";
import { EM_BPF, SHT, STT } from "../abi.js";

export interface ElfHeader {
  type: number;
  machine: number;
  flags: number;
  shoff: number;
  shnum: number;
  shstrndx: number;
}

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  align: number;
  entsize: number;
  /** The section's bytes (empty for SHT_NOBITS). */
  data: Uint8Array;
}

export interface ElfSymbol {
  index: number;
  name: string;
  value: number;
  size: number;
  type: number; // STT_*
  bind: number; // STB_*
  other: number;
  shndx: number;
}

export interface ElfReloc {
  offset: number;
  type: number;
  symIndex: number;
  addend: number;
  /** File offset of the relocation entry, for messages. */
  at: number;
}

export interface ElfFile {
  bytes: Uint8Array;
  header: ElfHeader;
  sections: ElfSection[];
  symbols: ElfSymbol[];
  /** Relocations by the index of the section they apply to. */
  relocs: Map<number, ElfReloc[]>;
}

const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;

export function readElf(input: Uint8Array): ElfFile {
  // A plain Uint8Array view (a Node Buffer's slice() would share memory instead of copying).
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const r = new ByteReader(bytes);
  const header = readHeader(r);
  const sections = readSections(r, header);
  const symtab = sections.find((s) => s.type === SHT.SYMTAB);
  const symbols = symtab ? readSymbols(r, symtab, sections) : [];
  const relocs = new Map<number, ElfReloc[]>();
  for (const s of sections)
    if (s.type === SHT.REL || s.type === SHT.RELA) {
      if (s.info === 0 || s.info >= sections.length)
        throw new ElfFormatError(
          `relocation section ${s.name} targets bad section ${s.info}`,
          shdrAt(header, s.index) + 44,
        );
      const list = relocs.get(s.info) ?? [];
      for (const rel of readRelocs(r, s, symbols.length)) list.push(rel); // no spread: 10^5 relocations
      relocs.set(s.info, list);
    }
  return { bytes, header, sections, symbols, relocs };
}

function shdrAt(h: ElfHeader, i: number): number {
  return h.shoff + i * 64;
}

function readHeader(r: ByteReader): ElfHeader {
  if (r.length < 4 || r.u32(0, "ELF magic") !== 0x464c457f) throw new ElfFormatError("not an ELF file (bad magic)", 0);
  r.check(0, 64, "ELF header");
  if (r.u8(4, "ELF class") !== 2) throw new ElfFormatError("not a 64-bit ELF file", 4);
  if (r.u8(5, "ELF data") !== 1) throw new ElfFormatError("not a little-endian ELF file", 5);
  const h: ElfHeader = {
    type: r.u16(16, "e_type"),
    machine: r.u16(18, "e_machine"),
    flags: r.u32(48, "e_flags"),
    shoff: r.u64(40, "e_shoff"),
    shnum: r.u16(60, "e_shnum"),
    shstrndx: r.u16(62, "e_shstrndx"),
  };
  if (h.machine !== EM_BPF) throw new ElfFormatError(`not a BPF object (e_machine ${h.machine})`, 18);
  if (h.shoff === 0 && h.shnum === 0) return h;
  if (r.u16(58, "e_shentsize") !== 64) throw new ElfFormatError("bad section header size", 58);
  if (h.shoff % 8 !== 0 && h.shoff % 4 !== 0) throw new ElfFormatError("misaligned section header table", 40);
  if (h.shnum === 0) h.shnum = r.u64(h.shoff + 32, "extended section count"); // sh_size of section 0
  if (h.shstrndx === 0xffff) h.shstrndx = r.u32(h.shoff + 44, "extended string table index"); // sh_link of section 0
  r.check(h.shoff, h.shnum * 64, "section header table");
  if (h.shstrndx >= h.shnum) throw new ElfFormatError(`section name table index ${h.shstrndx} out of range`, 62);
  return h;
}

function readSections(r: ByteReader, h: ElfHeader): ElfSection[] {
  const raw: ElfSection[] = [];
  const nameOffs: number[] = [];
  for (let i = 0; i < h.shnum; i++) {
    const at = shdrAt(h, i);
    nameOffs.push(r.u32(at, "sh_name"));
    const type = r.u32(at + 4, "sh_type");
    const offset = r.u64(at + 24, "sh_offset"),
      size = r.u64(at + 32, "sh_size");
    const nobits = type === SHT.NOBITS || type === SHT.NULL;
    if (!nobits && (offset > r.length || size > r.length - offset))
      throw new ElfFormatError(`section ${i} lies outside the file`, at + 24);
    raw.push({
      index: i,
      type,
      flags: r.u64(at + 8, "sh_flags"),
      offset,
      size,
      link: r.u32(at + 40, "sh_link"),
      info: r.u32(at + 44, "sh_info"),
      align: r.u64(at + 48, "sh_addralign"),
      entsize: r.u64(at + 56, "sh_entsize"),
      data: nobits ? new Uint8Array(0) : r.slice(offset, size, "section"),
      name: "", // set below, once the name table is read
    });
  }
  if (h.shnum === 0) return [];
  const shstr = raw[h.shstrndx];
  if (shstr.type !== SHT.STRTAB)
    throw new ElfFormatError("section name table is not a string table", shdrAt(h, h.shstrndx) + 4);
  const names = new ByteReader(shstr.data, shstr.offset);
  for (let i = 0; i < raw.length; i++)
    if (i > 0 || nameOffs[0] !== 0) raw[i].name = names.cstr(nameOffs[i], "section name");
  return raw;
}

function readSymbols(r: ByteReader, symtab: ElfSection, sections: ElfSection[]): ElfSymbol[] {
  if (symtab.entsize !== 24 || symtab.size % 24 !== 0)
    throw new ElfFormatError("bad symbol table entry size", symtab.offset);
  if (symtab.link === 0 || symtab.link >= sections.length || sections[symtab.link].type !== SHT.STRTAB)
    throw new ElfFormatError("symbol table has no string table", symtab.offset);
  const strtab = sections[symtab.link];
  const names = new ByteReader(strtab.data, strtab.offset);
  const out: ElfSymbol[] = [];
  for (let i = 0, at = symtab.offset; i < symtab.size / 24; i++, at += 24) {
    const info = r.u8(at + 4, "st_info");
    const shndx = r.u16(at + 6, "st_shndx");
    if (shndx !== 0 && shndx < SHN_LORESERVE && shndx >= sections.length)
      throw new ElfFormatError(`symbol ${i} names section ${shndx}, which does not exist`, at + 6);
    const nameOff = r.u32(at, "st_name");
    out.push({
      index: i,
      name: nameOff === 0 ? "" : names.cstr(nameOff, "symbol name"),
      value: r.u64(at + 8, "st_value"),
      size: r.u64(at + 16, "st_size"),
      type: info & 0xf,
      bind: info >>> 4,
      other: r.u8(at + 5, "st_other"),
      shndx,
    });
  }
  return out;
}

function readRelocs(r: ByteReader, s: ElfSection, nsyms: number): ElfReloc[] {
  const ent = s.type === SHT.RELA ? 24 : 16;
  if ((s.entsize !== ent && s.entsize !== 0) || s.size % ent !== 0)
    throw new ElfFormatError(`bad relocation entry size in ${s.name}`, s.offset);
  const out: ElfReloc[] = [];
  for (let at = s.offset; at < s.offset + s.size; at += ent) {
    const symIndex = r.u32(at + 12, "relocation symbol");
    if (symIndex >= nsyms)
      throw new ElfFormatError(`relocation names symbol ${symIndex}, which does not exist`, at + 12);
    out.push({
      offset: r.u64(at, "r_offset"),
      type: r.u32(at + 8, "r_type"),
      symIndex,
      addend: ent === 24 ? Number(r.u64big(at + 16, "r_addend")) : 0,
      at,
    });
  }
  return out;
}

/** The display name of a symbol: its own name, or its section's name for a section symbol. */
export function symbolName(elf: ElfFile, sym: ElfSymbol): string {
  if (sym.type === STT.section && !sym.name && sym.shndx < elf.sections.length) return elf.sections[sym.shndx].name;
  return sym.name;
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

export function sectionByName(elf: ElfFile, name: string): ElfSection | undefined {
  return elf.sections.find((s) => s.name === name);
}

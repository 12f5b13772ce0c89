// Generic relocatable ELF64 writer for EM_BPF: takes an ElfInput (sections, symbols, relocations)
// and produces the object bytes. Layout: ELF header, section contents, .rel* tables, .symtab,
// one .strtab (section and symbol names, like llvm-mc), then the section header table.
import { EM_BPF, SHF, SHT, STB, STT } from "../abi.js";
import { ByteWriter } from "./bytes.js";
import type { ElfInput, ElfSectionInput, ElfSymbolInput } from "./sections.js";

/** A string table with de-duplication; offset 0 is the empty string. */
export class StringTable {
  private readonly w = new ByteWriter();
  private readonly seen = new Map<string, number>();
  constructor() {
    this.w.u8(0);
    this.seen.set("", 0);
  }
  add(s: string): number {
    let off = this.seen.get(s);
    if (off === undefined) {
      off = this.w.cstr(s);
      this.seen.set(s, off);
    }
    return off;
  }
  bytes(): Uint8Array {
    return this.w.finish();
  }
}

interface OutSection {
  name: string;
  type: number;
  flags: number;
  align: number;
  entsize: number;
  data: Uint8Array;
  size: number;
  link: number;
  info: number;
}

export function writeElf(input: ElfInput): Uint8Array {
  const strtab = new StringTable();
  const secIndex = new Map<string, number>();
  // Output section order: NULL, user sections each followed by its .rel table, .symtab, .strtab.
  const order: { sec: ElfSectionInput; rel: boolean }[] = [];
  for (const sec of input.sections) {
    order.push({ sec, rel: false });
    if (sec.relocs?.length) order.push({ sec, rel: true });
  }
  order.forEach((o, i) => !o.rel && secIndex.set(o.sec.name, i + 1));
  const symtabIndex = order.length + 1;
  const strtabIndex = order.length + 2;

  const symbols = orderSymbols(input);
  const symIndex = new Map<string, number>(); // relocation targets: named symbols, then section symbols
  const secSymIndex = new Map<string, number>();
  if (order.some((o) => o.rel))
    symbols.forEach((s, i) => (s.type === "section" ? secSymIndex : symIndex).set(s.name, i + 1));
  let firstGlobal = 1;
  for (const s of symbols) if (s.bind === "local") firstGlobal++;

  const symData = new ByteWriter();
  symData.zeros(24);
  for (const s of symbols) writeSym(symData, s, strtab, secIndex);

  const out: OutSection[] = [];
  for (const o of order) {
    if (!o.rel) {
      const s = o.sec;
      const nobits = s.type === SHT.NOBITS;
      out.push({
        name: s.name,
        type: s.type,
        flags: s.flags,
        align: Math.max(1, s.align),
        entsize: s.entsize ?? 0,
        data: nobits ? new Uint8Array(0) : s.data,
        size: nobits ? (s.size ?? 0) : s.data.length,
        link: 0,
        info: 0,
      });
    } else {
      const w = new ByteWriter();
      for (const r of o.sec.relocs!) {
        const idx = symIndex.get(r.symbol) ?? secSymIndex.get(r.symbol);
        if (idx === undefined) throw new Error(`relocation in ${o.sec.name} names unknown symbol ${r.symbol}`);
        w.u64(r.offset);
        w.u64((BigInt(idx) << 32n) | BigInt(r.type >>> 0));
      }
      const data = w.finish();
      out.push({
        name: `.rel${o.sec.name}`,
        type: SHT.REL,
        flags: SHF.INFO_LINK,
        align: 8,
        entsize: 16,
        data,
        size: data.length,
        link: symtabIndex,
        info: secIndex.get(o.sec.name)!,
      });
    }
  }
  const symBytes = symData.finish();
  out.push({
    name: ".symtab",
    type: SHT.SYMTAB,
    flags: 0,
    align: 8,
    entsize: 24,
    data: symBytes,
    size: symBytes.length,
    link: strtabIndex,
    info: firstGlobal,
  });
  const names = out.map((s) => strtab.add(s.name));
  const strtabName = strtab.add(".strtab");
  const strBytes = strtab.bytes();
  out.push({
    name: ".strtab",
    type: SHT.STRTAB,
    flags: 0,
    align: 1,
    entsize: 0,
    data: strBytes,
    size: strBytes.length,
    link: 0,
    info: 0,
  });
  names.push(strtabName);
  return layout(out, names, strtabIndex);
}

/** Locals first (file, section, other locals), then globals/weak; section symbols added for relocation targets. */
function orderSymbols(input: ElfInput): ElfSymbolInput[] {
  const syms = [...input.symbols];
  if (input.sections.some((s) => s.relocs?.length)) addSectionSymbols(input, syms);
  // A stable sort by rank, as four buckets (12,000+ labels in a big .s file).
  const buckets: ElfSymbolInput[][] = [[], [], [], []];
  for (const s of syms) buckets[s.bind !== "local" ? 3 : s.type === "file" ? 0 : s.type === "section" ? 1 : 2].push(s);
  return buckets.flat();
}

/** Section symbols for relocations that name a section without one. */
function addSectionSymbols(input: ElfInput, syms: ElfSymbolInput[]): void {
  const named = new Set(syms.filter((s) => s.type !== "section").map((s) => s.name));
  const secSyms = new Set(syms.filter((s) => s.type === "section").map((s) => s.name));
  for (const sec of input.sections)
    for (const r of sec.relocs ?? [])
      if (!named.has(r.symbol) && !secSyms.has(r.symbol) && input.sections.some((x) => x.name === r.symbol)) {
        syms.push({ name: r.symbol, section: r.symbol, value: 0, size: 0, type: "section", bind: "local" });
        secSyms.add(r.symbol);
      }
}

function writeSym(w: ByteWriter, s: ElfSymbolInput, strtab: StringTable, secIndex: Map<string, number>): void {
  let shndx = 0;
  if (s.type === "file")
    shndx = 0xfff1; // SHN_ABS
  else if (s.section !== undefined) {
    const i = secIndex.get(s.section);
    if (i === undefined) throw new Error(`symbol ${s.name} names unknown section ${s.section}`);
    shndx = i;
  }
  const name = s.type === "section" ? 0 : strtab.add(s.name);
  const at = w.reserve(24),
    v = w.dataView;
  v.setUint32(at, name, true);
  v.setUint8(at + 4, ((STB[s.bind] << 4) | STT[s.type]) & 0xff);
  v.setUint8(at + 5, s.visibility === "hidden" ? 2 : 0);
  v.setUint16(at + 6, shndx & 0xffff, true);
  setU64(v, at + 8, s.value);
  setU64(v, at + 16, s.size);
}

function setU64(v: DataView, at: number, n: number): void {
  if (n >= 0 && n <= Number.MAX_SAFE_INTEGER && Number.isInteger(n)) {
    v.setUint32(at, n >>> 0, true);
    v.setUint32(at + 4, Math.floor(n / 0x100000000), true);
  } else v.setBigUint64(at, BigInt.asUintN(64, BigInt(n)), true);
}

function layout(out: OutSection[], names: number[], shstrndx: number): Uint8Array {
  const w = new ByteWriter();
  w.zeros(64);
  const offsets = out.map((s) => {
    if (s.type === SHT.NOBITS) return w.align(s.align);
    w.align(s.align);
    return w.bytes(s.data);
  });
  w.align(8);
  const shoff = w.length;
  w.zeros(64); // SHN_UNDEF
  out.forEach((s, i) => {
    w.u32(names[i]);
    w.u32(s.type);
    w.u64(s.flags);
    w.u64(0);
    w.u64(offsets[i]);
    w.u64(s.size);
    w.u32(s.link);
    w.u32(s.info);
    w.u64(s.align);
    w.u64(s.entsize);
  });
  const bytes = w.finish();
  writeHeader(new DataView(bytes.buffer), shoff, out.length + 1, shstrndx);
  return bytes;
}

function writeHeader(v: DataView, shoff: number, shnum: number, shstrndx: number): void {
  [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0].forEach((b, i) => v.setUint8(i, b)); // ELF64, LE, v1, SYSV
  v.setUint16(16, 1, true); // ET_REL
  v.setUint16(18, EM_BPF, true);
  v.setUint32(20, 1, true);
  v.setBigUint64(40, BigInt(shoff), true);
  v.setUint16(52, 64, true); // e_ehsize
  v.setUint16(58, 64, true); // e_shentsize
  v.setUint16(60, shnum, true);
  v.setUint16(62, shstrndx, true);
}

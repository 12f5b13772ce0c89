// The BPF object builder: takes a BpfObjectInput (programs, subprograms, maps, sources, log formats)
// and lowers it to an ElfInput for write-elf.ts — one executable section per program section,
// `.text` for subprograms, `license`, BTF-defined `.maps`, `.BTF` + `.BTF.ext` (func and line
// info from instruction spans), `.tsebpf.logfmt`, and the map/call relocations.
import { CLASS, JMP, LD_IMM64, insnWidth, type Insn } from "../isa/insn.js";
import { EncodeError, withTarget, writeInsn } from "../isa/encode.js";
import {
  RECORD_TAG,
  type BpfObjectInput,
  type FuncDef,
  type GlobalSectionDef,
  type LogFormat,
  type MapDef,
  type ParamDesc,
  type SourceFile,
  type TypeDesc,
} from "../object.js";
import {
  BtfBuilder,
  BTF_INT_BOOL,
  BTF_INT_SIGNED,
  writeBtfExt,
  type BtfExt,
  type FuncInfoRec,
  type LineInfoRec,
} from "./btf.js";
import type { ElfInput, ElfRelocInput, ElfSectionInput, ElfSymbolInput } from "./sections.js";
import { ByteWriter } from "./bytes.js";
import { R_BPF, SHF, SHT } from "../abi.js";
import { writeElf } from "./write-elf.js";
import { LOGFMT_SECTION } from "../log-record.js";

export function writeBpfObject(input: BpfObjectInput): Uint8Array {
  return writeElf(lowerBpfObject(input));
}

interface PlacedFunc {
  func: FuncDef;
  section: string;
  offset: number; // bytes within the section
  code: Uint8Array;
  relocs: ElfRelocInput[]; // offsets relative to the function start
  isProgram: boolean;
}

export function lowerBpfObject(input: BpfObjectInput): ElfInput {
  const globals = input.globals ?? [];
  const mapNames = new Set([...input.maps.map((m) => m.name), ...globals.map((g) => g.section)]);
  const funcNames = new Set([
    ...input.programs.map((p) => p.func.name),
    ...(input.subprograms ?? []).map((f) => f.name),
  ]);
  const bySection = new Map<string, PlacedFunc[]>();
  const statics = staticSlots(input.subprograms ?? []);
  const place = (func: FuncDef, section: string, isProgram: boolean) => {
    const list = bySection.get(section) ?? [];
    const offset = list.reduce((n, f) => n + f.code.length, 0);
    const { code, relocs } = encodeFunc(func, mapNames, funcNames, statics);
    list.push({ func, section, offset, code, relocs, isProgram });
    bySection.set(section, list);
  };
  // .text first, as clang lays it out
  for (const f of input.subprograms ?? []) place(f, ".text", false);
  for (const p of input.programs) place(p.func, p.section, true);

  const sections: ElfSectionInput[] = [];
  const symbols: ElfSymbolInput[] = [];
  for (const [name, funcs] of bySection) {
    const relocs = funcs.flatMap((f) => f.relocs.map((r) => ({ ...r, offset: r.offset + f.offset })));
    sections.push({
      name,
      type: SHT.PROGBITS,
      flags: SHF.ALLOC | SHF.EXECINSTR,
      align: 8,
      data: concat(funcs.map((f) => f.code)),
      relocs,
    });
    for (const f of funcs)
      symbols.push({
        name: f.func.name,
        section: name,
        value: f.offset,
        size: f.code.length,
        type: "func",
        bind: (f.func.global ?? f.isProgram) ? "global" : "local",
      });
  }
  const license = new TextEncoder().encode(input.license + "\0");
  sections.push({ name: "license", type: SHT.PROGBITS, flags: SHF.ALLOC | SHF.WRITE, align: 1, data: license });
  symbols.push({
    name: "_license",
    section: "license",
    value: 0,
    size: license.length,
    type: "object",
    bind: "global",
  });

  const btf = new BtfBuilder();
  const mapLayout = addMapsBtf(btf, input.maps);
  if (input.maps.length) {
    sections.push({
      name: ".maps",
      type: SHT.PROGBITS,
      flags: SHF.ALLOC | SHF.WRITE,
      align: 8,
      data: new Uint8Array(mapLayout.size),
    });
    for (const m of mapLayout.maps)
      symbols.push({ name: m.name, section: ".maps", value: m.offset, size: m.size, type: "object", bind: "global" });
  }
  for (const g of globals) addGlobalSection(btf, g, sections, symbols);
  const ext = addFuncsBtf(btf, [...bySection.values()].flat(), input.sources ?? []);
  const extBytes = writeBtfExt(ext, btf.strings); // adds section names to the string table first
  sections.push({ name: ".BTF", type: SHT.PROGBITS, flags: 0, align: 4, data: btf.bytes() });
  sections.push({ name: ".BTF.ext", type: SHT.PROGBITS, flags: 0, align: 4, data: extBytes });
  if (input.logFormats?.length)
    sections.push({
      name: LOGFMT_SECTION,
      type: SHT.PROGBITS,
      flags: 0,
      align: 1,
      data: logFormatBytes(input.logFormats),
    });
  return { sections, symbols };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const w = new ByteWriter();
  for (const p of parts) w.bytes(p);
  return w.finish();
}

/** The slot in .text where each static (STB_LOCAL) subprogram starts. */
function staticSlots(subprograms: FuncDef[]): Map<string, number> {
  const out = new Map<string, number>();
  let slot = 0;
  for (const f of subprograms) {
    if (!f.global) out.set(f.name, slot);
    slot += f.insns.reduce((n, i) => n + insnWidth(i), 0);
  }
  return out;
}

/** Raw encoding of one function: labels resolved to offsets, map loads and calls become relocations.
 * A call of a static subprogram names `.text` with imm its slot there minus one, as clang writes it;
 * a call of a global function names the function with imm -1. */
function encodeFunc(
  func: FuncDef,
  maps: Set<string>,
  funcs: Set<string>,
  statics: ReadonlyMap<string, number>,
): { code: Uint8Array; relocs: ElfRelocInput[] } {
  const slots: number[] = [];
  let n = 0;
  for (const i of func.insns) slots.push(n), (n += insnWidth(i));
  const slotOf = (label: string): number => {
    const idx = func.labels?.get(label);
    if (idx === undefined || idx < 0 || idx > func.insns.length)
      throw new Error(`${func.name}: unknown label ${label}`);
    return idx === func.insns.length ? n : slots[idx];
  };
  const w = new ByteWriter();
  const relocs: ElfRelocInput[] = [];
  const resolveInsn = (insn: Insn, k: number): Insn => {
    const out = insn.target !== undefined ? withTarget(insn, slotOf(insn.target) - slots[k] - 1, k) : insn;
    if (insn.symbol === undefined) return out;
    if (insn.code === LD_IMM64 && (maps.has(insn.symbol) || funcs.has(insn.symbol))) {
      relocs.push({ offset: slots[k] * 8, type: R_BPF.R64_64, symbol: insn.symbol });
      return out;
    }
    if (insn.code !== (CLASS.JMP | JMP.CALL) || !funcs.has(insn.symbol))
      throw new Error(`${func.name}: instruction ${k} names unknown symbol ${insn.symbol}`);
    const local = statics.get(insn.symbol);
    relocs.push({ offset: slots[k] * 8, type: R_BPF.R64_32, symbol: local === undefined ? insn.symbol : ".text" });
    return { ...out, imm: (local ?? 0) - 1, src: 1 };
  };
  func.insns.forEach((insn, k) => {
    try {
      const at = w.reserve(insnWidth(insn) * 8); // first: reserving may replace the buffer
      writeInsn(w.dataView, at, resolveInsn(insn, k), k);
    } catch (e) {
      throw e instanceof EncodeError ? new EncodeError(`${func.name}: ${e.message}`, k) : e;
    }
  });
  return { code: w.finish(), relocs };
}

// ---- BTF: maps ----

interface MapLayout {
  size: number;
  maps: { name: string; offset: number; size: number }[];
}

class TypeIds {
  private readonly cache = new Map<string, number>();
  constructor(readonly btf: BtfBuilder) {}
  int(name: string, size: number, signed: boolean, bool = false): number {
    const encoding = bool ? BTF_INT_BOOL : signed ? BTF_INT_SIGNED : 0;
    return this.memo(`int:${name}:${size}:${encoding}`, () =>
      this.btf.add({ kind: "int", name, size, bits: size * 8, bitOffset: 0, encoding }),
    );
  }
  /** `int (*name)[n]`: libbpf's __uint(name, n). */
  uintPtr(n: number): number {
    return this.memo(`uint:${n}`, () => {
      const int = this.int("int", 4, true);
      const arr = this.btf.add({
        kind: "array",
        type: int,
        indexType: this.int("__ARRAY_SIZE_TYPE__", 4, false),
        nelems: n,
      });
      return this.btf.add({ kind: "ptr", type: arr });
    });
  }
  desc(t: TypeDesc): number {
    switch (t.kind) {
      case "int":
        return this.int(intName(t), t.size, t.signed, t.bool);
      case "array": {
        const elem = this.desc(t.elem);
        return this.btf.add({
          kind: "array",
          type: elem,
          indexType: this.int("__ARRAY_SIZE_TYPE__", 4, false),
          nelems: t.len,
        });
      }
      case "struct":
        return this.memo(`struct:${t.name}`, () => {
          const members = t.members.map((m) => ({ name: m.name, type: this.desc(m.type), bitOffset: m.offset * 8 }));
          return this.btf.add({ kind: "struct", name: t.name, size: t.size, members });
        });
    }
  }
  ptr(to: number): number {
    return this.memo(`ptr:${to}`, () => this.btf.add({ kind: "ptr", type: to }));
  }
  private memo(key: string, make: () => number): number {
    let id = this.cache.get(key);
    if (id === undefined) this.cache.set(key, (id = make()));
    return id;
  }
}

const intName = (t: TypeDesc & { kind: "int" }) => t.name ?? `__${t.signed ? "s" : "u"}${t.size * 8}`;

const idsOf = new WeakMap<BtfBuilder, TypeIds>();
function ids(btf: BtfBuilder): TypeIds {
  let t = idsOf.get(btf);
  if (!t) idsOf.set(btf, (t = new TypeIds(btf)));
  return t;
}

function defaultDesc(size: number): TypeDesc {
  if (size === 1 || size === 2 || size === 4 || size === 8) return { kind: "int", size, signed: false };
  return { kind: "array", elem: { kind: "int", size: 1, signed: false, name: "__u8" }, len: size };
}

/** One anonymous struct + VAR per map, and DATASEC `.maps` with each VAR's offset and size. */
function addMapsBtf(btf: BtfBuilder, maps: MapDef[]): MapLayout {
  const t = ids(btf);
  const layout: MapLayout = { size: 0, maps: [] };
  const vars: { type: number; offset: number; size: number }[] = [];
  for (const m of maps) {
    const members = [
      { name: "type", type: t.uintPtr(m.type), bitOffset: 0 },
      { name: "max_entries", type: t.uintPtr(m.maxEntries), bitOffset: 0 },
    ];
    if (m.keySize > 0 || m.key)
      members.push({ name: "key", type: t.ptr(t.desc(m.key ?? defaultDesc(m.keySize))), bitOffset: 0 });
    if (m.valueSize > 0 || m.value)
      members.push({ name: "value", type: t.ptr(t.desc(m.value ?? defaultDesc(m.valueSize))), bitOffset: 0 });
    if (m.flags) members.push({ name: "map_flags", type: t.uintPtr(m.flags), bitOffset: 0 });
    members.forEach((x, i) => (x.bitOffset = i * 64));
    const size = members.length * 8;
    const struct = btf.add({ kind: "struct", name: "", size, members });
    const v = btf.add({ kind: "var", name: m.name, type: struct, linkage: 1 });
    if (m.record) tagRecord(btf, v, m.record);
    vars.push({ type: v, offset: layout.size, size });
    layout.maps.push({ name: m.name, offset: layout.size, size });
    layout.size += size;
  }
  if (maps.length) btf.add({ kind: "datasec", name: ".maps", size: layout.size, vars });
  return layout;
}

/** A global data section: its bytes (none in the file for .bss), a global OBJECT symbol per variable
 * (libbpf finds each VAR's offset by it), and BTF: a VAR per variable (`const volatile` for load-time
 * constants, so --set and libbpf's skeleton may set them) in a DATASEC named after the section. */
function addGlobalSection(btf: BtfBuilder, g: GlobalSectionDef, sections: ElfSectionInput[], syms: ElfSymbolInput[]) {
  const t = ids(btf);
  const bss = g.section === ".bss";
  const flags = SHF.ALLOC | (g.section === ".rodata" ? 0 : SHF.WRITE);
  const type = bss ? SHT.NOBITS : SHT.PROGBITS;
  const data = bss ? new Uint8Array(0) : g.init;
  sections.push({ name: g.section, type, flags, align: 8, data, ...(bss && { size: g.init.length }) });
  const vars = g.vars.map((v) => {
    const size = descSize(v.type);
    syms.push({ name: v.name, section: g.section, value: v.offset, size, type: "object", bind: "global" });
    let type = t.desc(v.type);
    if (v.constVolatile) type = btf.add({ kind: "const", type: btf.add({ kind: "volatile", type }) });
    return { type: btf.add({ kind: "var", name: v.name, type, linkage: 1 }), offset: v.offset, size };
  });
  btf.add({ kind: "datasec", name: g.section, size: g.init.length, vars });
}

function descSize(t: TypeDesc): number {
  return t.kind === "int" ? t.size : t.kind === "struct" ? t.size : t.len * descSize(t.elem);
}

/** The record type of a ring buffer, named by a decl tag on its VAR (see RECORD_TAG). */
function tagRecord(btf: BtfBuilder, mapVar: number, record: TypeDesc): void {
  if (record.kind === "array") return; // unnamed: a record of bytes prints as hex
  ids(btf).desc(record);
  const name = record.kind === "int" ? intName(record) : record.name;
  btf.add({ kind: "decl_tag", name: RECORD_TAG + name, type: mapVar, componentIdx: -1 });
}

// ---- BTF: functions, func_info and line_info ----

const XDP_MD_FIELDS = ["data", "data_end", "data_meta", "ingress_ifindex", "rx_queue_index", "egress_ifindex"];

function addFuncsBtf(btf: BtfBuilder, funcs: PlacedFunc[], sources: SourceFile[]): BtfExt {
  const t = ids(btf);
  const int = t.int("int", 4, true);
  let progProto = 0,
    subProto = 0,
    md = 0;
  const protoMd = (): number => {
    const u32 = t.int("__u32", 4, false);
    const members = XDP_MD_FIELDS.map((name, i) => ({ name, type: u32, bitOffset: i * 32 }));
    if (!md) md = btf.add({ kind: "struct", name: "xdp_md", size: 24, members });
    return md;
  };
  const protoFor = (isProgram: boolean): number => {
    if (isProgram && !progProto)
      progProto = btf.add({ kind: "func_proto", ret: int, params: [{ name: "ctx", type: t.ptr(protoMd()) }] });
    if (!isProgram && !subProto) subProto = btf.add({ kind: "func_proto", ret: int, params: [] });
    return isProgram ? progProto : subProto;
  };
  const funcInfo = new Map<string, FuncInfoRec[]>();
  const lineInfo = new Map<string, LineInfoRec[]>();
  const lines = new Map(sources.map((s) => [s.name, s.text.split(/\r?\n/)]));
  for (const f of funcs) {
    const proto = f.func.proto;
    const typeId = btf.add({
      kind: "func",
      name: f.func.name,
      type: proto && !f.isProgram ? subprogramProto(btf, proto, () => t.ptr(protoMd())) : protoFor(f.isProgram),
      linkage: (f.func.global ?? f.isProgram) ? 1 : 0,
    });
    push(funcInfo, f.section, { insnOff: f.offset, typeId });
    if (sources.length) for (const r of lineRecords(btf, f, lines, sources[0].name)) push(lineInfo, f.section, r);
  }
  const list = <T>(m: Map<string, T[]>) => [...m].map(([section, records]) => ({ section, records }));
  return { funcInfo: list(funcInfo), lineInfo: list(lineInfo) };
}

/** A subprogram's FUNC_PROTO from its parameter and return types. */
function subprogramProto(btf: BtfBuilder, proto: NonNullable<FuncDef["proto"]>, ctxPtr: () => number): number {
  const t = ids(btf);
  const param = (p: ParamDesc): number =>
    p.kind === "ctx" ? ctxPtr() : p.kind === "ptr" ? t.ptr(t.desc(p.to)) : t.desc(p);
  const params = proto.params.map((p) => ({ name: p.name, type: param(p.type) }));
  return btf.add({ kind: "func_proto", ret: proto.returns ? t.desc(proto.returns) : 0, params });
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

/** A record at the function start (the kernel wants one per subprogram) and wherever the line changes. */
function lineRecords(btf: BtfBuilder, f: PlacedFunc, lines: Map<string, string[]>, defaultFile: string): LineInfoRec[] {
  const out: LineInfoRec[] = [];
  let slot = 0,
    last = "";
  const first = f.func.insns.find((i) => i.span)?.span;
  f.func.insns.forEach((insn, k) => {
    const span = insn.span ?? (k === 0 ? first : undefined);
    if (span || k === 0) {
      const file = span?.file ?? defaultFile,
        line = span?.line ?? 0,
        col = span?.col ?? 0;
      const key = `${file}:${line}`;
      if (key !== last) {
        const text = lines.get(file)?.[line - 1] ?? "";
        out.push({
          insnOff: f.offset + slot * 8,
          fileNameOff: btf.str(file),
          lineOff: btf.str(text),
          line,
          col: Math.min(col, 0x3ff),
        });
        last = key;
      }
    }
    slot += insnWidth(insn);
  });
  return out;
}

function logFormatBytes(formats: LogFormat[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ version: 1, formats }));
}

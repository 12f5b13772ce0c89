// BTF and .BTF.ext: a type builder that writes the raw `.BTF` section (header, type records, string
// table), a reader that parses it back into BtfType values (with each record's byte offset, for
// in-place fix-ups), and the .BTF.ext writer/reader for func_info, line_info and CO-RE relocations.
import { ByteReader, ByteWriter, ElfFormatError } from "./bytes.js";
import { StringTable } from "./write-elf.js";

export const BTF_MAGIC = 0xeb9f;
export const BTF_KIND = {
  int: 1,
  ptr: 2,
  array: 3,
  struct: 4,
  union: 5,
  enum: 6,
  fwd: 7,
  typedef: 8,
  volatile: 9,
  const: 10,
  restrict: 11,
  func: 12,
  func_proto: 13,
  var: 14,
  datasec: 15,
  float: 16,
  decl_tag: 17,
  type_tag: 18,
  enum64: 19,
} as const;
export const BTF_INT_SIGNED = 1;
export const BTF_INT_BOOL = 4;

export type BtfType =
  | { kind: "void" }
  | { kind: "int"; name: string; size: number; bits: number; bitOffset: number; encoding: number }
  | { kind: "ptr" | "volatile" | "const" | "restrict"; type: number }
  | { kind: "typedef" | "type_tag"; name: string; type: number }
  | { kind: "array"; type: number; indexType: number; nelems: number }
  // kflag: each member's bitOffset holds (bitfield size << 24) | bit offset (see memberBits).
  | {
      kind: "struct" | "union";
      name: string;
      size: number;
      members: { name: string; type: number; bitOffset: number }[];
      kflag?: true;
    }
  | { kind: "enum" | "enum64"; name: string; size: number; values: { name: string; value: bigint }[]; signed?: true }
  | { kind: "fwd"; name: string; union: boolean }
  | { kind: "func"; name: string; type: number; linkage: number }
  | { kind: "func_proto"; ret: number; params: { name: string; type: number }[] }
  | { kind: "var"; name: string; type: number; linkage: number }
  | { kind: "datasec"; name: string; size: number; vars: { type: number; offset: number; size: number }[] }
  | { kind: "float"; name: string; size: number }
  | { kind: "decl_tag"; name: string; type: number; componentIdx: number };

/** Collects types (id = index + 1) and strings; `bytes()` writes the .BTF section. */
export class BtfBuilder {
  readonly strings = new StringTable();
  readonly types: BtfType[] = [];

  add(t: BtfType): number {
    this.types.push(t);
    return this.types.length;
  }
  str(s: string): number {
    return this.strings.add(s);
  }

  /** Header, then types, then strings, in one buffer; lengths and offsets are patched last. */
  bytes(): Uint8Array {
    const w = new ByteWriter();
    w.u16(BTF_MAGIC), w.u8(1), w.u8(0), w.u32(24);
    const fields = w.u32(0); // type_off, type_len, str_off, str_len
    w.u32(0), w.u32(0), w.u32(0);
    for (const t of this.types) encodeType(w, t, this.strings);
    const typeLen = w.length - 24;
    w.bytes(this.strings.bytes()); // after the types: encoding them adds their names
    w.patchU32(fields + 4, typeLen);
    w.patchU32(fields + 8, typeLen);
    w.patchU32(fields + 12, w.length - 24 - typeLen);
    return w.finish();
  }
}

function head(
  w: ByteWriter,
  name: number,
  kind: keyof typeof BTF_KIND,
  vlen: number,
  sizeOrType: number,
  kflag = 0,
): void {
  w.u32(name);
  w.u32(((kflag & 1) << 31) | (BTF_KIND[kind] << 24) | (vlen & 0xffff));
  w.u32(sizeOrType);
}

function encodeType(w: ByteWriter, t: BtfType, s: StringTable): void {
  switch (t.kind) {
    case "void":
      throw new Error("void is type 0 and is not written");
    case "int":
      head(w, s.add(t.name), "int", 0, t.size);
      return void w.u32((t.encoding << 24) | (t.bitOffset << 16) | t.bits);
    case "ptr":
    case "volatile":
    case "const":
    case "restrict":
      return head(w, 0, t.kind, 0, t.type);
    case "typedef":
    case "type_tag":
      return head(w, s.add(t.name), t.kind, 0, t.type);
    case "array":
      head(w, 0, "array", 0, 0);
      w.u32(t.type), w.u32(t.indexType), w.u32(t.nelems);
      return;
    case "struct":
    case "union":
      head(w, s.add(t.name), t.kind, t.members.length, t.size, t.kflag ? 1 : 0);
      for (const m of t.members) w.u32(s.add(m.name)), w.u32(m.type), w.u32(m.bitOffset);
      return;
    case "enum":
      head(w, s.add(t.name), "enum", t.values.length, t.size, t.signed ? 1 : 0);
      for (const v of t.values) w.u32(s.add(v.name)), w.i32(Number(BigInt.asIntN(32, v.value)));
      return;
    case "enum64":
      head(w, s.add(t.name), "enum64", t.values.length, t.size, t.signed ? 1 : 0);
      for (const v of t.values) w.u32(s.add(v.name)), w.u64(v.value);
      return;
    case "fwd":
      return head(w, s.add(t.name), "fwd", 0, 0, t.union ? 1 : 0);
    case "func":
      return head(w, s.add(t.name), "func", t.linkage, t.type);
    case "func_proto":
      head(w, 0, "func_proto", t.params.length, t.ret);
      for (const p of t.params) w.u32(s.add(p.name)), w.u32(p.type);
      return;
    case "var":
      head(w, s.add(t.name), "var", 0, t.type);
      return void w.u32(t.linkage);
    case "datasec":
      head(w, s.add(t.name), "datasec", t.vars.length, t.size);
      for (const v of t.vars) w.u32(v.type), w.u32(v.offset), w.u32(v.size);
      return;
    case "float":
      return head(w, s.add(t.name), "float", 0, t.size);
    case "decl_tag":
      head(w, s.add(t.name), "decl_tag", 0, t.type);
      return void w.u32(t.componentIdx);
  }
}

// ---- reader ----

export interface ParsedBtf {
  /** types[0] is void; types[id] for id ≥ 1. */
  types: BtfType[];
  /** Byte offset of each type record inside the .BTF section (types[0] has -1). */
  offsets: number[];
  /** Byte offset of the string table inside the section. */
  strOff: number;
  strLen: number;
  str(off: number): string;
}

const KIND_NAMES = Object.fromEntries(Object.entries(BTF_KIND).map(([k, v]) => [v, k])) as Record<
  number,
  keyof typeof BTF_KIND
>;

/** Parses a .BTF section; `base` is the section's file offset, for error messages. */
export function parseBtf(bytes: Uint8Array, base = 0): ParsedBtf {
  const r = new ByteReader(bytes, base);
  if (r.u16(0, "BTF magic") !== BTF_MAGIC) throw new ElfFormatError("bad BTF magic", base);
  const hdrLen = r.u32(4, "BTF header");
  if (hdrLen < 24 || hdrLen > bytes.length) throw new ElfFormatError("bad BTF header length", base + 4);
  const typeOff = hdrLen + r.u32(8, "BTF header"),
    typeLen = r.u32(12, "BTF header");
  const strOff = hdrLen + r.u32(16, "BTF header"),
    strLen = r.u32(20, "BTF header");
  r.check(typeOff, typeLen, "BTF type section");
  r.check(strOff, strLen, "BTF string section");
  const strs = new ByteReader(r.slice(strOff, strLen, "BTF strings"), base + strOff);
  const str = (off: number): string => (off === 0 ? "" : strs.cstr(off, "BTF string"));
  const types: BtfType[] = [{ kind: "void" }];
  const offsets = [-1];
  const tr = new ByteReader(r.slice(typeOff, typeLen, "BTF types"), base + typeOff);
  let at = 0;
  while (at < typeLen) {
    offsets.push(typeOff + at);
    const read = readType(tr, at, str); // [type, next offset]; indexed: no iterator in the loop
    types.push(read[0]);
    at = read[1];
  }
  return { types, offsets, strOff, strLen, str };
}

function readType(r: ByteReader, at: number, str: (o: number) => string): [BtfType, number] {
  const nameOff = r.u32(at, "BTF type name"),
    info = r.u32(at + 4, "BTF type info"),
    st = r.u32(at + 8, "BTF type size");
  const kind = KIND_NAMES[(info >>> 24) & 0x1f],
    vlen = info & 0xffff,
    kflag = info >>> 31;
  const name = str(nameOff);
  let p = at + 12;
  const list = <T>(n: number, recSize: number, f: (o: number) => T): T[] => {
    r.check(p, n * recSize, `BTF ${kind} members`);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(f(p + i * recSize));
    p += n * recSize;
    return out;
  };
  switch (kind) {
    case "int": {
      const e = r.u32(p, "BTF int encoding");
      return [
        { kind, name, size: st, bits: e & 0xff, bitOffset: (e >>> 16) & 0xff, encoding: (e >>> 24) & 0xf },
        p + 4,
      ];
    }
    case "ptr":
    case "volatile":
    case "const":
    case "restrict":
      return [{ kind, type: st }, p];
    case "typedef":
    case "type_tag":
      return [{ kind, name, type: st }, p];
    case "array":
      return [
        { kind, type: r.u32(p, "BTF array"), indexType: r.u32(p + 4, "BTF array"), nelems: r.u32(p + 8, "BTF array") },
        p + 12,
      ];
    case "struct":
    case "union": {
      const members = list(vlen, 12, (o) => ({
        name: str(r.u32(o, "")),
        type: r.u32(o + 4, ""),
        bitOffset: r.u32(o + 8, ""),
      }));
      return [{ kind, name, size: st, members, ...(kflag ? { kflag: true as const } : {}) }, p];
    }
    case "enum": {
      const values = list(vlen, 8, (o) => ({ name: str(r.u32(o, "")), value: BigInt(r.i32(o + 4, "")) }));
      return [{ kind, name, size: st, values, ...(kflag ? { signed: true as const } : {}) }, p];
    }
    case "enum64": {
      const values = list(vlen, 12, (o) => ({
        name: str(r.u32(o, "")),
        value: BigInt(r.u32(o + 4, "")) | (BigInt(r.u32(o + 8, "")) << 32n),
      }));
      return [{ kind, name, size: st, values, ...(kflag ? { signed: true as const } : {}) }, p];
    }
    case "fwd":
      return [{ kind, name, union: kflag === 1 }, p];
    case "func":
      return [{ kind, name, type: st, linkage: vlen }, p];
    case "func_proto":
      return [
        { kind, ret: st, params: list(vlen, 8, (o) => ({ name: str(r.u32(o, "")), type: r.u32(o + 4, "") })) },
        p,
      ];
    case "var":
      return [{ kind, name, type: st, linkage: r.u32(p, "BTF var") }, p + 4];
    case "datasec":
      return [
        {
          kind,
          name,
          size: st,
          vars: list(vlen, 12, (o) => ({ type: r.u32(o, ""), offset: r.u32(o + 4, ""), size: r.u32(o + 8, "") })),
        },
        p,
      ];
    case "float":
      return [{ kind, name, size: st }, p];
    case "decl_tag":
      return [{ kind, name, type: st, componentIdx: r.u32(p, "BTF decl tag") }, p + 4];
    default:
      throw new ElfFormatError(`unknown BTF kind ${(info >>> 24) & 0x1f}`, r.base + at + 4);
  }
}

/** Follows typedef/const/volatile/restrict/type_tag to the underlying type id (bounded, cycles throw). */
export function resolveType(btf: ParsedBtf, id: number): number {
  for (let i = 0; i < 64; i++) {
    const t = btf.types[id];
    if (!t) throw new ElfFormatError(`BTF type id ${id} out of range`, btf.offsets[0]);
    if (
      t.kind === "typedef" ||
      t.kind === "type_tag" ||
      t.kind === "const" ||
      t.kind === "volatile" ||
      t.kind === "restrict"
    )
      id = t.type;
    else return id;
  }
  throw new ElfFormatError("BTF type chain too long", 0);
}

/** A struct/union member's bit offset and bitfield size (0 when not a bitfield). */
export function memberBits(t: { bitOffset: number }, kflag: boolean | undefined): { offset: number; bits: number } {
  return kflag ? { offset: t.bitOffset & 0xffffff, bits: t.bitOffset >>> 24 } : { offset: t.bitOffset, bits: 0 };
}

/** Size in bytes of a BTF type (0 for void/func). */
export function typeSize(btf: ParsedBtf, id: number, depth = 0): number {
  if (depth > 32) throw new ElfFormatError("BTF type nesting too deep", 0);
  const t = btf.types[resolveType(btf, id)];
  switch (t.kind) {
    case "int":
    case "struct":
    case "union":
    case "enum":
    case "enum64":
    case "float":
    case "datasec":
      return t.size;
    case "ptr":
      return 8;
    case "array":
      return t.nelems * typeSize(btf, t.type, depth + 1);
    default:
      return 0;
  }
}

// ---- .BTF.ext ----

export interface FuncInfoRec {
  insnOff: number; // bytes in the ELF section
  typeId: number;
}
export interface LineInfoRec {
  insnOff: number; // bytes in the ELF section
  fileNameOff: number;
  lineOff: number;
  line: number;
  col: number;
}
/** A bpf_core_relo record; the access string ("0:1:2") is resolved from the BTF string table. */
export interface CoreReloRec {
  insnOff: number; // bytes in the ELF section
  typeId: number;
  access: string;
  kind: number; // enum bpf_core_relo_kind
}
export interface BtfExtSection<T> {
  section: string;
  records: T[];
}
export interface BtfExt {
  funcInfo: BtfExtSection<FuncInfoRec>[];
  lineInfo: BtfExtSection<LineInfoRec>[];
  /** Present when the object has CO-RE relocations (header of 32 bytes or more). */
  coreRelo?: BtfExtSection<CoreReloRec>[];
}

/** Writes .BTF.ext; section names go into the BTF string table (`strings`), which must be written after. */
export function writeBtfExt(ext: BtfExt, strings: StringTable): Uint8Array {
  const w = new ByteWriter();
  w.u16(BTF_MAGIC), w.u8(1), w.u8(0), w.u32(32);
  const hdr = w.u32(0); // func_info off/len, line_info off/len, core_relo off/len (patched below)
  w.zeros(20);
  // libbpf rejects a subsection holding only its record size: empty ones get length 0.
  const sub = (field: number, list: BtfExtSection<unknown>[], recSize: number, rec: (r: never) => void) => {
    const start = w.length;
    if (list.length) {
      w.u32(recSize);
      for (const s of list) {
        w.u32(strings.add(s.section)), w.u32(s.records.length);
        for (const r of s.records) rec(r as never);
      }
    }
    w.patchU32(hdr + field, start - 32);
    w.patchU32(hdr + field + 4, w.length - start);
  };
  sub(0, ext.funcInfo, 8, (r: FuncInfoRec) => (w.u32(r.insnOff), w.u32(r.typeId)));
  sub(
    8,
    ext.lineInfo,
    16,
    (r: LineInfoRec) => (
      w.u32(r.insnOff), w.u32(r.fileNameOff), w.u32(r.lineOff), w.u32((r.line << 10) | (r.col & 0x3ff))
    ),
  );
  sub(
    16,
    ext.coreRelo ?? [],
    16,
    (r: CoreReloRec) => (w.u32(r.insnOff), w.u32(r.typeId), w.u32(strings.add(r.access)), w.u32(r.kind)),
  );
  return w.finish();
}

/** Parses .BTF.ext; section names are resolved through the .BTF string table. */
export function parseBtfExt(bytes: Uint8Array, btf: ParsedBtf, base = 0): BtfExt {
  const r = new ByteReader(bytes, base);
  if (r.u16(0, "BTF.ext magic") !== BTF_MAGIC) throw new ElfFormatError("bad BTF.ext magic", base);
  const hdrLen = r.u32(4, "BTF.ext header");
  if (hdrLen < 24 || hdrLen > bytes.length) throw new ElfFormatError("bad BTF.ext header length", base + 4);
  const fOff = r.u32(8, "BTF.ext header"),
    fLen = r.u32(12, "BTF.ext header");
  const lOff = r.u32(16, "BTF.ext header"),
    lLen = r.u32(20, "BTF.ext header");
  const funcInfo = readExtSections(r, hdrLen + fOff, fLen, 8, btf, "func_info", (o) => ({
    insnOff: r.u32(o, "func_info"),
    typeId: r.u32(o + 4, "func_info"),
  }));
  const lineInfo = readExtSections(r, hdrLen + lOff, lLen, 16, btf, "line_info", (o) => {
    const lc = r.u32(o + 12, "line_info");
    return {
      insnOff: r.u32(o, "line_info"),
      fileNameOff: r.u32(o + 4, "line_info"),
      lineOff: r.u32(o + 8, "line_info"),
      line: lc >>> 10,
      col: lc & 0x3ff,
    };
  });
  if (hdrLen < 32) return { funcInfo, lineInfo };
  const cOff = r.u32(24, "BTF.ext header"),
    cLen = r.u32(28, "BTF.ext header");
  const coreRelo = readExtSections(r, hdrLen + cOff, cLen, 16, btf, "core_relo", (o) => ({
    insnOff: r.u32(o, "core_relo"),
    typeId: r.u32(o + 4, "core_relo"),
    access: btf.str(r.u32(o + 8, "core_relo")),
    kind: r.u32(o + 12, "core_relo"),
  }));
  return coreRelo.length ? { funcInfo, lineInfo, coreRelo } : { funcInfo, lineInfo };
}

function readExtSections<T>(
  r: ByteReader,
  off: number,
  len: number,
  minRec: number,
  btf: ParsedBtf,
  what: string,
  rec: (o: number, recSize: number) => T,
): BtfExtSection<T>[] {
  if (len === 0) return [];
  r.check(off, len, `BTF.ext ${what}`);
  const end = off + len;
  const recSize = r.u32(off, `${what} record size`);
  if (recSize < minRec || recSize > 256) throw new ElfFormatError(`bad ${what} record size ${recSize}`, r.base + off);
  const out: BtfExtSection<T>[] = [];
  let p = off + 4;
  while (p < end) {
    const section = btf.str(r.u32(p, `${what} section name`));
    const n = r.u32(p + 4, `${what} count`);
    p += 8;
    if (n * recSize > end - p) throw new ElfFormatError(`${what} records run past their section`, r.base + p);
    const records: T[] = [];
    for (let i = 0; i < n; i++, p += recSize) records.push(rec(p, recSize));
    out.push({ section, records });
  }
  return out;
}

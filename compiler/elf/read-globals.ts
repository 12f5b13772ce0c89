// Global data sections as libbpf sees them: takes a read ELF file (and its BTF) and produces the
// one-entry array maps libbpf makes of `.rodata`, `.rodata.*`, `.data`, `.data.*` and `.bss*`
// sections (its bpf_object__init_internal_map): named as internal_map_name names them, value =
// the section's bytes, BTF value type = the section's DATASEC, BPF_F_RDONLY_PROG for read-only
// data, and the variables the DATASEC lists (for `--set`). Also the VAR offsets libbpf's
// btf_fixup_datasec fills in, which the BTF fix-up for loading uses.
import type { GlobalData, GlobalVar, LoadedMap } from "../object.js";
import { MAP_FLAG, MAP_TYPE, SHF, SHT } from "../abi.js";
import { BTF_INT_BOOL, BTF_INT_SIGNED, resolveType, type BtfType, type ParsedBtf } from "./btf.js";
import { sectionByName, symbolsIn, type ElfFile, type ElfSection } from "./read-elf.js";

type Datasec = Extract<BtfType, { kind: "datasec" }>;
const BPF_OBJ_NAME_LEN = 16;
const VAR_STATIC = 0;

/** libbpf's object name for a file: its base name up to the first '.' ("fw.bpf.o" → "fw"). */
export function objectName(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1).slice(0, BPF_OBJ_NAME_LEN - 1);
  const dot = base.indexOf(".");
  return dot < 0 ? base : base.slice(0, dot);
}

/** libbpf's internal_map_name: up to 8 characters of the object name + the section name
 * (".rodata" → "firewall.rodata"); sections with a second dot keep their own name (".rodata.str1.1");
 * at most 15 characters, anything but [A-Za-z0-9_.] becomes '_'. */
export function internalMapName(object: string, section: string): string {
  const sfx = Math.min(Math.max(7, section.length), BPF_OBJ_NAME_LEN - 1);
  const pfx = section.indexOf(".", 1) >= 0 ? 0 : Math.min(BPF_OBJ_NAME_LEN - sfx - 1, object.length);
  return (object.slice(0, pfx) + section.slice(0, sfx)).replace(/[^A-Za-z0-9_.]/g, "_");
}

/** The kind of a global data section, as libbpf's bpf_object__elf_collect classifies it. */
export function globalKind(s: ElfSection): GlobalData["kind"] | undefined {
  const is = (p: string) => s.name === p || s.name.startsWith(`${p}.`);
  if (s.type === SHT.NOBITS) return is(".bss") ? "bss" : undefined;
  if (s.type !== SHT.PROGBITS || s.flags & SHF.EXECINSTR) return undefined;
  return is(".data") ? "data" : is(".rodata") ? "rodata" : undefined;
}

/** The maps of the object's non-empty global data sections, in section order. */
export function readGlobals(elf: ElfFile, btf: ParsedBtf | undefined, object: string): LoadedMap[] {
  const out: LoadedMap[] = [];
  for (const s of elf.sections) {
    const kind = globalKind(s);
    if (!kind || s.size === 0) continue;
    const dsId = btf ? btf.types.findIndex((t) => t.kind === "datasec" && t.name === s.name) : -1;
    const ds = dsId > 0 ? (btf!.types[dsId] as Datasec) : undefined;
    const init = new Uint8Array(s.size);
    if (kind !== "bss") init.set(s.data);
    const vars = ds ? datasecVars(elf, btf!, ds) : [];
    const global: GlobalData = { section: s.name, kind, init, vars };
    const exposed = ds?.vars.some((v) => (btf!.types[v.type] as { linkage?: number }).linkage !== VAR_STATIC);
    const flags = (kind === "rodata" ? MAP_FLAG.RDONLY_PROG : 0) | (exposed ? MAP_FLAG.MMAPABLE : 0);
    const map: LoadedMap = {
      name: internalMapName(object, s.name),
      type: MAP_TYPE.ARRAY,
      keySize: 4,
      valueSize: s.size,
      maxEntries: 1,
      flags,
      global,
    };
    if (ds) (map.btfKeyTypeId = 0), (map.btfValueTypeId = dsId);
    out.push(map);
  }
  return out;
}

/** The variables of a DATASEC, by offset, with the offsets libbpf fixes up. */
function datasecVars(elf: ElfFile, btf: ParsedBtf, ds: Datasec): GlobalVar[] {
  const offsets = varOffsets(elf, btf, ds);
  const vars: GlobalVar[] = [];
  ds.vars.forEach((v, i) => {
    const vt = btf.types[v.type];
    if (vt?.kind !== "var") return;
    const g: GlobalVar = { name: vt.name, offset: offsets[i]!, size: v.size };
    const int = intSignedness(btf, vt.type);
    if (int) g.int = int;
    if (isConstVolatile(btf, vt.type)) g.constVolatile = true;
    vars.push(g);
  });
  return vars.sort((a, b) => a.offset - b.offset);
}

/** Each VAR's offset in its section: as written, or (clang leaves them 0 with a DATASEC size of 0)
 * its ELF symbol's value, as libbpf's btf_fixup_datasec does. */
export function varOffsets(elf: ElfFile, btf: ParsedBtf, ds: Datasec): number[] {
  const sec = sectionByName(elf, ds.name);
  const syms = sec ? symbolsIn(elf, sec.index) : [];
  return ds.vars.map((v) => {
    const vt = btf.types[v.type];
    if (ds.size !== 0 || vt?.kind !== "var") return v.offset;
    return syms.find((s) => s.name === vt.name)?.value ?? v.offset;
  });
}

function intSignedness(btf: ParsedBtf, id: number): { signed: boolean } | undefined {
  const t = btf.types[resolveType(btf, id)];
  if (t?.kind === "int") return { signed: (t.encoding & BTF_INT_SIGNED) !== 0 && (t.encoding & BTF_INT_BOOL) === 0 };
  if (t?.kind === "enum" || t?.kind === "enum64") return { signed: !!t.signed };
  return undefined;
}

/** Whether a variable's type (an array's: its elements') is both `const` and `volatile`. */
function isConstVolatile(btf: ParsedBtf, id: number): boolean {
  const seen = new Set<string>();
  for (let i = 0; i < 64; i++) {
    const t = btf.types[id];
    if (!t || !("type" in t) || t.kind === "ptr") break;
    seen.add(t.kind);
    id = t.type;
  }
  return seen.has("const") && seen.has("volatile");
}

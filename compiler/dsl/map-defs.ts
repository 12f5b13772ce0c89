// Map declarations → the object's map definitions: takes a checked A.MapDecl and produces the
// MapDef (type, sizes, flags, BTF key/value types) the ELF writer puts in `.maps`. LPM tries get
// their `{prefixlen, data}` key struct; ring buffers have no key or value, their record type goes to BTF;
// struct keys and values are described by layout.ts; redirect maps take u32 keys and their ABI value
// (struct bpf_devmap_val, bpf_cpumap_val, an xsk fd).
import { MAP_TYPE, REDIRECT_MAP_VALUE } from "../abi.js";
import type { MapDef, TypeDesc } from "../object.js";
import type * as A from "./ast.js";
import { INT_TYPES, MAPS } from "./catalog.js";
import { sizeOf, typeDesc } from "./layout.js";

/** The key of an LPM trie over `dataSize`-byte addresses: struct { u32 prefixlen; u8 data[dataSize]; }. */
function lpmKey(map: string, dataSize: number): TypeDesc & { size: number } {
  const data: TypeDesc = { kind: "array", elem: typeDesc(INT_TYPES.u8), len: dataSize };
  const prefixlen = { name: "prefixlen", type: typeDesc(INT_TYPES.u32), offset: 0 };
  const members = [prefixlen, { name: "data", type: data, offset: 4 }];
  return { kind: "struct", name: `${map.toLowerCase()}_key`, size: 4 + dataSize, members };
}

/** A redirect map's value: its ABI struct of 4-byte fields (an xskmap's is one u32). */
function abiValue(abi: { name: string; fields: string[] }): { valueSize: number; value: TypeDesc } {
  const u32 = typeDesc(INT_TYPES.u32);
  const valueSize = abi.fields.length * 4;
  if (abi.fields.length === 1) return { valueSize, value: u32 };
  const members = abi.fields.map((name, i) => ({ name, type: u32, offset: i * 4 }));
  return { valueSize, value: { kind: "struct", name: abi.name, size: valueSize, members } };
}

export function mapDef(m: A.MapDecl): MapDef {
  const cls = MAPS[m.mapClass]!;
  const t = m.type!;
  const base = { name: m.name, type: cls.type, maxEntries: m.maxEntries ?? 1 };
  if (cls.type === MAP_TYPE.RINGBUF) return { ...base, keySize: 0, valueSize: 0, flags: 0, record: typeDesc(t.value) };
  if (cls.type === MAP_TYPE.PROG_ARRAY) {
    const u32 = typeDesc(INT_TYPES.u32);
    return { ...base, keySize: 4, valueSize: 4, flags: 0, key: u32, value: u32 }; // values: program fds
  }
  const abi = REDIRECT_MAP_VALUE[cls.type];
  if (abi) return { ...base, keySize: 4, flags: 0, key: typeDesc(INT_TYPES.u32), ...abiValue(abi) };
  const value = { valueSize: sizeOf(t.value), flags: cls.flags, value: typeDesc(t.value) };
  if (cls.type === MAP_TYPE.LPM_TRIE) {
    const key = lpmKey(m.name, sizeOf(t.key));
    return { ...base, keySize: key.size, ...value, key };
  }
  return { ...base, keySize: sizeOf(t.key), ...value, key: typeDesc(t.key) };
}

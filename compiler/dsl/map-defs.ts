// Map declarations → the object's map definitions: takes a checked A.MapDecl and produces the
// MapDef (type, sizes, flags, BTF key/value types) the ELF writer puts in `.maps`. LPM tries get
// their `{prefixlen, data}` key struct; ring buffers have no key or value, their record type goes to BTF.
import { MAP_TYPE } from "../abi.js";
import type { MapDef, TypeDesc } from "../object.js";
import type * as A from "./ast.js";
import { INT_TYPES, MAPS } from "./catalog.js";

function intDesc(t: A.IntType): TypeDesc {
  return { kind: "int", name: t.name, size: (t.bits / 8) as 1 | 2 | 4 | 8, signed: t.signed };
}

/** The key of an LPM trie over `dataSize`-byte addresses: struct { u32 prefixlen; u8 data[dataSize]; }. */
function lpmKey(map: string, dataSize: number): TypeDesc & { size: number } {
  const data: TypeDesc = { kind: "array", elem: intDesc(INT_TYPES.u8), len: dataSize };
  const prefixlen = { name: "prefixlen", type: intDesc(INT_TYPES.u32), offset: 0 };
  const members = [prefixlen, { name: "data", type: data, offset: 4 }];
  return { kind: "struct", name: `${map.toLowerCase()}_key`, size: 4 + dataSize, members };
}

export function mapDef(m: A.MapDecl): MapDef {
  const cls = MAPS[m.mapClass]!;
  const t = m.type!;
  const base = { name: m.name, type: cls.type, maxEntries: m.maxEntries ?? 1 };
  if (cls.type === MAP_TYPE.RINGBUF) return { ...base, keySize: 0, valueSize: 0, flags: 0, record: intDesc(t.value) };
  const value = { valueSize: t.value.bits / 8, flags: cls.flags, value: intDesc(t.value) };
  if (cls.type === MAP_TYPE.LPM_TRIE) {
    const key = lpmKey(m.name, t.key.bits / 8);
    return { ...base, keySize: key.size, ...value, key };
  }
  return { ...base, keySize: t.key.bits / 8, ...value, key: intDesc(t.key) };
}

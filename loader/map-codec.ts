// Map keys and values as the kernel stores them: takes a map (its definition and, when the object
// has BTF, the key/value types) and produces what a slot holds (size, int type, range), LPM trie
// keys from IPv4 and IPv6 CIDRs (ip-addr.ts parses them), and writes that name a full map. Used by the library API and the CLI's --map.
import type { LoadedMap, MapDef } from "../compiler/object.js";
import type { BpfMap } from "./map.js";
import type { LoadedObject } from "./object.js";
import { readFileSync } from "node:fs";
import { MAP_TYPE } from "../compiler/abi.js";
import { parseBtf, resolveType, type ParsedBtf } from "../compiler/elf/btf.js";
import { BpfError } from "./sys/errors.js";
import { LoaderError } from "./errors.js";
import type { Cidr } from "./ip-addr.js";

const ARRAY_TYPES = new Set<number>([MAP_TYPE.ARRAY, MAP_TYPE.PERCPU_ARRAY]); // keys are indexes below max_entries
const LPM_TRIE = MAP_TYPE.LPM_TRIE;

/** What encoding and filling need of a map: a kernel BpfMap, or a VM map behind an adapter. */
export interface EntryMap {
  readonly name: string;
  readonly def: MapDef;
  /** One value (per-CPU maps: written to every CPU); throws BpfError E2BIG/ENOSPC when full. */
  set(key: Uint8Array, value: Uint8Array): void;
  /** Prog arrays: put the object's program `name` at `index` (its fd in the kernel, its name in the VM). */
  setProgram?(index: number, name: string): void;
}

/** What a key or value slot holds: its size, and its int type when BTF says so. */
export interface Slot {
  what: "key" | "value";
  size: number;
  int?: { name: string; signed: boolean; bool: boolean };
}

export function slotOf(map: EntryMap, what: "key" | "value", btf?: ParsedBtf): Slot {
  const def = map.def as LoadedMap;
  const size = what === "key" ? def.keySize : def.valueSize;
  const id = what === "key" ? def.btfKeyTypeId : def.btfValueTypeId;
  if (!btf || id === undefined) return { what, size };
  const named = btf.types[id];
  const t = btf.types[resolveType(btf, id)];
  if (t?.kind !== "int" || t.size !== size) return { what, size };
  const name = named && "name" in named && named.name ? named.name : t.name;
  return { what, size, int: { name, signed: (t.encoding & 1) === 1, bool: (t.encoding & 4) === 4 } };
}

/** The object's BTF, parsed once per fill (undefined when it has none or it does not parse). */
export function objectBtf(raw: Uint8Array | undefined): ParsedBtf | undefined {
  if (!raw?.length) return undefined;
  try {
    return parseBtf(raw);
  } catch {
    return undefined;
  }
}

/** "u32" or "the 4-byte key", for messages. */
export function slotTypeName(s: Slot): string {
  return s.int ? s.int.name : `the ${s.size}-byte ${s.what}`;
}

/** The integers a slot accepts: its BTF type's range, or either signedness of its size. */
export function slotRange(s: Slot): [bigint, bigint] {
  const bits = BigInt(s.size * 8);
  if (s.int?.bool) return [0n, 1n];
  if (s.int && !s.int.signed) return [0n, (1n << bits) - 1n];
  if (s.int) return [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n];
  return [-(1n << (bits - 1n)), (1n << bits) - 1n];
}

/** `v` as `size` little-endian bytes (two's complement for negative values). */
export function intBytes(v: bigint, size: number): Buffer {
  const b = Buffer.alloc(size);
  const u = BigInt.asUintN(size * 8, v);
  for (let i = 0; i < size; i++) b[i] = Number((u >> BigInt(8 * i)) & 0xffn);
  return b;
}

/** An LPM trie key: u32 prefix length, then the address in network order (tries match bytes in
 * order); IPv4 CIDRs need 8-byte keys, IPv6 ones 20. */
export function lpmKey(map: EntryMap, c: Cidr): Buffer {
  const v = c.bytes.length === 4 ? "IPv4" : "IPv6";
  if (map.def.keySize !== 4 + c.bytes.length)
    throw new LoaderError(
      "bad-key",
      "",
      `map ${map.name} is an LPM trie with ${map.def.keySize}-byte keys; ${v} CIDRs need ${4 + c.bytes.length} (u32 prefix length + ${c.bytes.length}-byte address); give the key as hex:<bytes>`,
    );
  const key = Buffer.alloc(map.def.keySize);
  key.writeUInt32LE(c.prefix, 0);
  key.set(c.bytes, 4);
  return key;
}

/** An interface's ifindex by name (/sys/class/net, no native code: the VM's `--map` uses it too). */
export function ifindexByName(name: string): number | undefined {
  try {
    const v = Number(readFileSync(`/sys/class/net/${name}/ifindex`, "utf8").trim());
    return Number.isInteger(v) && v > 0 ? v : undefined;
  } catch {
    return undefined;
  }
}

/** A redirect map's value (REDIRECT_MAP_VALUE): its first field (ifindex, queue size), no program. */
export function redirectValue(map: EntryMap, first: number): Buffer {
  const b = Buffer.alloc(map.def.valueSize);
  b.writeUInt32LE(first >>> 0, 0);
  return b;
}

export function isLpm(map: EntryMap): boolean {
  return map.def.type === LPM_TRIE;
}

/** An array map: keys are indexes below max_entries. */
export function isArray(map: EntryMap): boolean {
  return ARRAY_TYPES.has(map.def.type);
}

/** Write one entry; a full map (E2BIG/ENOSPC) is named with its max_entries. */
export function setEntry(map: EntryMap, key: Uint8Array, value: Uint8Array, keyText: string): void {
  try {
    map.set(key, value);
  } catch (e) {
    if (e instanceof BpfError && (e.code === "E2BIG" || e.code === "ENOSPC"))
      throw new LoaderError(
        "map-full",
        "",
        `map ${map.name} is full: it holds at most ${map.def.maxEntries} entries (max_entries), so '${keyText}' was not added`,
      );
    throw e;
  }
}

/** A kernel map for `--map`; a prog array also takes programs of the object by name (their fds). */
export function withPrograms(m: BpfMap, o: LoadedObject): EntryMap {
  if (m.def.type !== MAP_TYPE.PROG_ARRAY) return m;
  const u32 = (v: number) => Uint8Array.from(Buffer.from(Uint32Array.of(v).buffer));
  return {
    name: m.name,
    def: m.def,
    set: (key, value) => m.set(key, value),
    setProgram: (index, name) => m.set(u32(index), u32(o.program(name).fd)),
  };
}

// Writing global variables while the program runs (`obj.setGlobals({ name: value })`): takes a
// loaded object and values by variable name, encodes each by its BTF type (btf-encode.ts: integers
// range-checked, structs as plain objects, arrays; or its exact bytes) and writes only the
// variable's bytes into its .data/.bss map — through the map's shared mapping (MMAPABLE, as
// libbpf's skeleton writes `bss->limit`), so the program's own updates of other variables in the
// same section are not overwritten; aligned integers are written with one store. Every value is
// checked before anything is written. Errors are LoaderErrors "bad-global" naming the variable and
// field; .rodata is frozen once loaded (set it at load time).
import type { GlobalVar } from "../compiler/object.js";
import type { ParsedBtf } from "../compiler/elf/btf.js";
import { MAP_FLAG } from "../compiler/abi.js";
import { LoaderError } from "./errors.js";
import { encodeBtfValue } from "./btf-encode.js";
import type { BpfMap } from "./map.js";
import type { PlainValue } from "./btf-values.js";
import { libc, mapShared, PROT_READ, PROT_WRITE, viewOf } from "./sys/libc.js";
import { u32le } from "./map.js";

/** A value for setGlobals: what globals() gives for the variable (integers also as bigints), or its bytes. */
export type GlobalInput = PlainValue | Uint8Array | readonly GlobalInput[] | { readonly [field: string]: GlobalInput };

interface Write {
  map: BpfMap;
  v: GlobalVar;
  bytes: Uint8Array;
}

/** Write each value into its variable now; nothing is written if any value is wrong. */
export function writeGlobals(
  maps: readonly BpfMap[],
  btf: ParsedBtf | undefined,
  values: Readonly<Record<string, GlobalInput>>,
): void {
  const writes = Object.entries(values).map(([name, value]) => encodeVar(maps, btf, name, value));
  for (const map of new Set(writes.map((w) => w.map)))
    writeMap(
      map,
      writes.filter((w) => w.map === map),
    );
}

function encodeVar(maps: readonly BpfMap[], btf: ParsedBtf | undefined, name: string, value: GlobalInput): Write {
  const ctx = "setting globals";
  const all = maps.flatMap((map) => (map.def.global?.vars ?? []).map((v) => ({ map, v })));
  const found = all.find((x) => x.v.name === name);
  if (!found) {
    const writable = all.filter((x) => x.map.def.global!.kind !== "rodata").map((x) => x.v.name);
    throw new LoaderError(
      "bad-global",
      ctx,
      `${name}: no such global variable; ${writable.length ? `the object's .data/.bss variables: ${writable.join(", ")}` : "the object has no .data/.bss variables (with BTF)"}`,
    );
  }
  const { map, v } = found;
  const section = map.def.global!.section;
  if (map.def.global!.kind === "rodata")
    throw new LoaderError(
      "bad-global",
      ctx,
      `${name} is in ${section}, which is frozen once the object is loaded`,
      `set it before loading: load(file, { set: { ${name}: … } }) or --set ${name}=…`,
    );
  if (value instanceof Uint8Array) {
    if (value.length !== v.size)
      throw new LoaderError(
        "bad-global",
        ctx,
        `${name}: ${value.length} byte(s) given, the variable is ${v.size} bytes`,
      );
    return { map, v, bytes: value };
  }
  const typeId = varType(btf, map, name);
  if (typeId === undefined)
    throw new LoaderError(
      "bad-global",
      ctx,
      `${name}: the object's BTF does not describe it: give its ${v.size} bytes`,
    );
  return { map, v, bytes: encodeBtfValue(btf!, typeId, value, { code: "bad-global", context: ctx, what: name }) };
}

/** The BTF type of variable `name` in the map's DATASEC. */
function varType(btf: ParsedBtf | undefined, map: BpfMap, name: string): number | undefined {
  const ds = btf && map.def.btfValueTypeId ? btf.types[map.def.btfValueTypeId] : undefined;
  if (ds?.kind !== "datasec") return undefined;
  for (const e of ds.vars) {
    const t = btf!.types[e.type];
    if (t?.kind === "var" && t.name === name) return t.type;
  }
  return undefined;
}

function writeMap(map: BpfMap, writes: Write[]): void {
  if (!(map.def.flags & MAP_FLAG.MMAPABLE)) {
    // not mappable (an object whose section holds only static variables): read, patch, write back
    const value = map.get(u32le(0)) ?? new Uint8Array(map.def.valueSize);
    for (const w of writes) value.set(w.bytes, w.v.offset);
    return map.set(u32le(0), value);
  }
  const page = libc.getpagesize() as number;
  const len = Math.ceil(map.def.valueSize / page) * page;
  const ptr = mapShared(map.fd, len, PROT_READ | PROT_WRITE, 0, `mapping ${map.name} to write it`);
  try {
    const buf = viewOf(ptr, len);
    for (const w of writes) store(buf, w.v.offset, w.bytes);
  } finally {
    libc.munmap(ptr, len);
  }
}

/** The bytes at `off`: an aligned 2-, 4- or 8-byte integer with one store (a reader never sees half of it). */
function store(buf: ArrayBuffer, off: number, b: Uint8Array): void {
  const n = b.length;
  if ((n === 2 || n === 4 || n === 8) && off % n === 0) {
    const src = new DataView(b.buffer, b.byteOffset, n);
    if (n === 8) new BigUint64Array(buf, off, 1)[0] = src.getBigUint64(0, true);
    else if (n === 4) new Uint32Array(buf, off, 1)[0] = src.getUint32(0, true);
    else new Uint16Array(buf, off, 1)[0] = src.getUint16(0, true);
    return;
  }
  new Uint8Array(buf, off, n).set(b);
}

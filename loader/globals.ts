// Load-time configuration: takes an object model and values by variable name (`--set NAME=VALUE`,
// `load(file, { set })`) and produces the model with those values written into the initial
// contents of its global data maps, before they are created and .rodata is frozen — so the
// verifier sees them as constants and prunes dead branches. Variables are found through the BTF
// DATASECs (name, offset, size, signedness); `.rodata` variables must be `const volatile` (others
// may have been folded into the code by the compiler), `.data`/`.bss` ones get a new initial value.
import type { GlobalVar, LoadedMap, ObjectModel } from "../compiler/object.js";
import { LoaderError } from "./errors.js";

/** A value for a global variable: an integer (bool: true/false) or its exact bytes. */
export type GlobalValue = number | bigint | boolean | Uint8Array;

interface Found {
  map: LoadedMap;
  v: GlobalVar;
}

/** The model with each value written into its variable's initial bytes (the model is not changed). */
export function withGlobals(model: ObjectModel, values: Readonly<Record<string, GlobalValue>>): ObjectModel {
  const entries = Object.entries(values);
  if (!entries.length) return model;
  const inits = new Map<LoadedMap, Uint8Array>();
  for (const [name, value] of entries) {
    const { map, v } = find(model, name);
    let init = inits.get(map);
    if (!init) inits.set(map, (init = map.global!.init.slice()));
    init.set(encode(v, map, value), v.offset);
  }
  const maps = model.maps.map((m) => {
    const init = inits.get(m);
    return init ? { ...m, global: { ...m.global!, init } } : m;
  });
  return { ...model, maps };
}

/** Every variable of the object's global data maps, in map order. */
function variables(model: ObjectModel): Found[] {
  return model.maps.flatMap((map) => (map.global?.vars ?? []).map((v) => ({ map, v })));
}

function find(model: ObjectModel, name: string): Found {
  const all = variables(model);
  const f = all.find((x) => x.v.name === name);
  if (!f) {
    const known = all.filter(settable).map(describe);
    const have = known.length
      ? `the object's variables: ${known.join(", ")}`
      : "the object has no global variables (with BTF) to set";
    throw new LoaderError("bad-set", `setting '${name}'`, `no such global variable; ${have}`);
  }
  if (!settable(f))
    throw new LoaderError(
      "bad-set",
      `setting '${name}'`,
      `'${name}' is in ${f.map.global!.section} but not const volatile: the compiler may have folded its value into the code`,
      "declare it `const volatile`",
    );
  return f;
}

const settable = (f: Found): boolean => f.map.global!.kind !== "rodata" || !!f.v.constVolatile;

/** `min_len (i32, .rodata)`, for messages. */
function describe(f: Found): string {
  return `${f.v.name} (${typeName(f.v)}, ${f.map.global!.section})`;
}

function typeName(v: GlobalVar): string {
  return v.int ? `${v.int.signed ? "i" : "u"}${v.size * 8}` : `${v.size} bytes`;
}

/** The variable's bytes for a value: an integer in its range, or exactly its size in bytes. */
function encode(v: GlobalVar, map: LoadedMap, value: GlobalValue): Uint8Array {
  const ctx = `setting '${v.name}'`;
  if (value instanceof Uint8Array) {
    if (value.length !== v.size)
      throw new LoaderError("bad-set", ctx, `${value.length} byte(s) given, '${v.name}' is ${v.size} bytes`);
    return value;
  }
  if (!v.int || ![1, 2, 4, 8].includes(v.size))
    throw new LoaderError(
      "bad-set",
      ctx,
      `'${v.name}' (${map.global!.section}) is ${v.size} bytes, not an integer; give its bytes (hex:<${v.size} bytes> on the command line)`,
    );
  const n = typeof value === "boolean" ? BigInt(value) : typeof value === "number" ? toBigInt(value, ctx) : value;
  const bits = BigInt(v.size * 8);
  const [lo, hi] = v.int.signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
  if (n < lo || n > hi) throw new LoaderError("bad-set", ctx, `${n} does not fit ${typeName(v)} (${lo}..${hi})`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, n), true);
  return out.slice(0, v.size);
}

function toBigInt(n: number, ctx: string): bigint {
  if (!Number.isSafeInteger(n))
    throw new LoaderError("bad-set", ctx, `${n} is not an integer (use a bigint beyond 2^53)`);
  return BigInt(n);
}

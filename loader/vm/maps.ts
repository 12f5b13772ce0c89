// The VM's maps: takes a MapDef and a CPU count, produces storage with the kernel's update/delete
// semantics (flags, -errno results) for hash, array, per-CPU hash/array, ring buffers and prog
// arrays. Values
// are Uint8Arrays that programs get pointers into. Other map types are refused by name.
import type { MapDef } from "../../compiler/object.js";
import { MAP_TYPE, mapTypeName } from "../../compiler/abi.js";

export const ENOENT = -2, E2BIG = -7, EEXIST = -17, EINVAL = -22, ENOSPC = -28;
const BPF_NOEXIST = 1, BPF_EXIST = 2, PROG_ARRAY = 3;

export class VmMapError extends Error {}

/** A key/value map as programs (via helpers) and tests see it. */
export interface VmMap {
  readonly def: MapDef;
  /** The value a program on `cpu` sees for key (its CPU's copy for per-CPU maps). */
  lookup(key: Uint8Array, cpu: number): Uint8Array | undefined;
  /** BPF_MAP_UPDATE_ELEM from a program on `cpu`: 0 or -errno. */
  update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number;
  delete(key: Uint8Array): number;
  /** Every entry: key → one value per CPU (one element for shared maps). */
  entries(): [Uint8Array, Uint8Array[]][];
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

class HashMap implements VmMap {
  private items = new Map<string, { key: Uint8Array; values: Uint8Array[] }>();
  constructor(readonly def: MapDef, private cpus: number) {}

  lookup(key: Uint8Array, cpu: number): Uint8Array | undefined {
    return this.items.get(hex(key))?.values[this.cpus === 1 ? 0 : cpu];
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    if (flags > BPF_EXIST) return EINVAL;
    const k = hex(key), old = this.items.get(k);
    if (old && flags === BPF_NOEXIST) return EEXIST;
    if (!old && flags === BPF_EXIST) return ENOENT;
    if (!old && this.items.size >= this.def.maxEntries) return E2BIG;
    const values = old?.values ?? Array.from({ length: this.cpus }, () => new Uint8Array(this.def.valueSize));
    values[this.cpus === 1 ? 0 : cpu].set(value.subarray(0, this.def.valueSize));
    this.items.set(k, { key: key.slice(), values });
    return 0;
  }

  delete(key: Uint8Array): number {
    return this.items.delete(hex(key)) ? 0 : ENOENT;
  }

  entries(): [Uint8Array, Uint8Array[]][] {
    return [...this.items.values()].map((e) => [e.key, e.values]);
  }
}

class ArrayMap implements VmMap {
  private values: Uint8Array[][];
  constructor(readonly def: MapDef, private cpus: number) {
    if (def.keySize !== 4) throw new VmMapError(`map ${def.name}: array keys are 4 bytes, not ${def.keySize}`);
    this.values = Array.from({ length: def.maxEntries }, () => Array.from({ length: cpus }, () => new Uint8Array(def.valueSize)));
  }

  private index(key: Uint8Array): number {
    return new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
  }

  lookup(key: Uint8Array, cpu: number): Uint8Array | undefined {
    return this.values[this.index(key)]?.[this.cpus === 1 ? 0 : cpu];
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    if (flags > BPF_EXIST) return EINVAL;
    const v = this.values[this.index(key)];
    if (!v) return E2BIG;
    if (flags === BPF_NOEXIST) return EEXIST;
    v[this.cpus === 1 ? 0 : cpu].set(value.subarray(0, this.def.valueSize));
    return 0;
  }

  delete(): number {
    return EINVAL;
  }

  entries(): [Uint8Array, Uint8Array[]][] {
    return this.values.map((v, i) => [new Uint8Array(new Uint32Array([i]).buffer), v]);
  }
}

/** BPF_MAP_TYPE_RINGBUF: records written by the program, read after the run with drain(). */
export class RingMap {
  private records: Uint8Array[] = [];
  private used = 0;
  constructor(readonly def: MapDef) {}

  /** bpf_ringbuf_output: 0, or -ENOSPC when the ring has no room (the record is dropped). */
  output(data: Uint8Array): number {
    const len = (data.length + 8 + 7) & ~7;
    if (this.used + len > this.def.maxEntries) return ENOSPC;
    this.used += len;
    this.records.push(data.slice());
    return 0;
  }

  /** Every record not yet read, oldest first; frees their space. */
  drain(): Uint8Array[] {
    this.used = 0;
    return this.records.splice(0);
  }
}

/** BPF_MAP_TYPE_PROG_ARRAY: bpf_tail_call targets by index, set by name from the test side. */
export class ProgArrayMap {
  readonly progs: (string | undefined)[];
  constructor(readonly def: MapDef) {
    this.progs = new Array<string | undefined>(def.maxEntries).fill(undefined);
  }

  set(index: number, program: string | undefined): void {
    if (!(index >= 0 && index < this.def.maxEntries)) throw new RangeError(`prog array ${this.def.name}: index ${index} is outside 0..${this.def.maxEntries - 1}`);
    this.progs[index] = program;
  }
}

export type AnyMap = VmMap | RingMap | ProgArrayMap;

export const MAP_TYPE_NAMES: Record<number, string> =
  Object.fromEntries(Object.values(MAP_TYPE).map((t) => [t, mapTypeName(t)!]));

/** Storage for one map of the object; refuses the types the VM does not model yet. */
export function createMap(def: MapDef, cpus: number): AnyMap {
  switch (def.type) {
    case MAP_TYPE.HASH: return new HashMap(def, 1);
    case MAP_TYPE.PERCPU_HASH: return new HashMap(def, cpus);
    case MAP_TYPE.ARRAY: return new ArrayMap(def, 1);
    case MAP_TYPE.PERCPU_ARRAY: return new ArrayMap(def, cpus);
    case MAP_TYPE.RINGBUF: return new RingMap(def);
    case PROG_ARRAY: return new ProgArrayMap(def);
  }
  const name = MAP_TYPE_NAMES[def.type] ?? `type ${def.type}`;
  throw new VmMapError(`map ${def.name}: ${name} maps are not supported by the VM yet`);
}

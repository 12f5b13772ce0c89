// The VM's maps: takes a MapDef and a CPU count, produces storage with the kernel's update/delete
// semantics (flags, -errno results) for hash, LRU hash, array, per-CPU hash/array, LPM trie, ring
// buffers, prog arrays and the redirect maps (devmap, devmap hash, cpumap, xskmap). Values are
// Uint8Arrays that programs get pointers into. Other map types are refused by name.
import type { MapDef } from "../../compiler/object.js";
import { MAP_TYPE, mapTypeName } from "../../compiler/abi.js";

export const ENOENT = -2,
  E2BIG = -7,
  EEXIST = -17,
  EINVAL = -22,
  ENOSPC = -28;
const BPF_NOEXIST = 1,
  BPF_EXIST = 2;

export class VmMapError extends Error {}

/** A key/value map as programs (via helpers) and tests see it. */
export interface VmMap {
  readonly def: MapDef;
  /** The value a program on `cpu` sees for key (its CPU's copy for per-CPU maps). */
  lookup(key: Uint8Array, cpu: number): Uint8Array | undefined;
  /** lookup() of the key at bytes[at, at + keySize), not copied (the helper's fast path). */
  lookupAt(bytes: Uint8Array, at: number, cpu: number): Uint8Array | undefined;
  /** BPF_MAP_UPDATE_ELEM from a program on `cpu`: 0 or -errno. */
  update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number;
  delete(key: Uint8Array): number;
  /** BPF_MAP_UPDATE_ELEM from user space: the value goes to every CPU's copy; 0 or -errno. */
  set(key: Uint8Array, value: Uint8Array): number;
  /** Every entry: key → one value per CPU (one element for shared maps). */
  entries(): [Uint8Array, Uint8Array[]][];
}

/** A key as a Map key: one char per byte. */
const keyString = (b: Uint8Array) => String.fromCharCode.apply(null, b as unknown as number[]);

/** A hash map's key as a Map key: a Number for keys of up to 6 bytes (one map's keys all have
 *  the same size, so equal numbers are equal keys), else keyString. */
function keyOf(b: Uint8Array, at = 0, size = b.length): number | string {
  if (size === 4) return u32(b, at);
  if (size > 6) return keyString(b.subarray(at, at + size));
  let v = 0;
  for (let i = at + size - 1; i >= at; i--) v = v * 256 + b[i];
  return v;
}

/** The little-endian u32 at b[at] (array indexes, prefix lengths). */
const u32 = (b: Uint8Array, at = 0) => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;

function setEveryCpu(m: VmMap, cpus: number, key: Uint8Array, value: Uint8Array): number {
  for (let cpu = 0; cpu < cpus; cpu++) {
    const r = m.update(key, value, 0, cpu);
    if (r) return r;
  }
  return 0;
}

class HashMap implements VmMap {
  protected items = new Map<number | string, { key: Uint8Array; values: Uint8Array[] }>();
  constructor(
    readonly def: MapDef,
    protected cpus: number,
  ) {}

  lookup(key: Uint8Array, cpu: number): Uint8Array | undefined {
    return this.lookupAt(key, 0, cpu);
  }

  lookupAt(bytes: Uint8Array, at: number, cpu: number): Uint8Array | undefined {
    return this.items.get(keyOf(bytes, at, this.def.keySize))?.values[this.cpus === 1 ? 0 : cpu];
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    if (flags > BPF_EXIST) return EINVAL;
    const k = keyOf(key),
      old = this.items.get(k);
    if (old && flags === BPF_NOEXIST) return EEXIST;
    if (!old && flags === BPF_EXIST) return ENOENT;
    if (!old && this.items.size >= this.def.maxEntries) return E2BIG;
    const values = old?.values ?? Array.from({ length: this.cpus }, () => new Uint8Array(this.def.valueSize));
    values[this.cpus === 1 ? 0 : cpu].set(value.subarray(0, this.def.valueSize));
    this.items.set(k, { key: key.slice(), values });
    return 0;
  }

  delete(key: Uint8Array): number {
    return this.items.delete(keyOf(key)) ? 0 : ENOENT;
  }

  set(key: Uint8Array, value: Uint8Array): number {
    return setEveryCpu(this, this.cpus, key, value);
  }

  entries(): [Uint8Array, Uint8Array[]][] {
    return [...this.items.values()].map((e) => [e.key, e.values]);
  }
}

/**
 * BPF_MAP_TYPE_LRU_HASH (and its per-CPU form): a hash map that, when full, makes room for a new
 * key by evicting the least recently used one (looked up or updated) instead of failing. The
 * kernel approximates this (per-CPU free lists, a reference bit, batch shrinking) and may evict
 * a little earlier or another old entry; a map that never fills behaves the same in both.
 */
class LruHashMap extends HashMap {
  override lookupAt(bytes: Uint8Array, at: number, cpu: number): Uint8Array | undefined {
    const k = keyOf(bytes, at, this.def.keySize),
      e = this.items.get(k);
    if (!e) return undefined;
    this.items.delete(k);
    this.items.set(k, e);
    return e.values[this.cpus === 1 ? 0 : cpu];
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    const k = keyOf(key),
      old = this.items.get(k);
    if (old) {
      this.items.delete(k);
      this.items.set(k, old);
    } else if (flags <= BPF_NOEXIST && this.items.size >= this.def.maxEntries)
      this.items.delete(this.items.keys().next().value!);
    return super.update(key, value, flags, cpu);
  }
}

class ArrayMap implements VmMap {
  private values: Uint8Array[][];
  constructor(
    readonly def: MapDef,
    private cpus: number,
  ) {
    if (def.keySize !== 4) throw new VmMapError(`map ${def.name}: array keys are 4 bytes, not ${def.keySize}`);
    this.values = Array.from({ length: def.maxEntries }, () =>
      Array.from({ length: cpus }, () => new Uint8Array(def.valueSize)),
    );
  }

  lookup(key: Uint8Array, cpu: number): Uint8Array | undefined {
    return this.lookupAt(key, 0, cpu);
  }

  lookupAt(bytes: Uint8Array, at: number, cpu: number): Uint8Array | undefined {
    return this.values[u32(bytes, at)]?.[this.cpus === 1 ? 0 : cpu];
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    if (flags > BPF_EXIST) return EINVAL;
    const v = this.values[u32(key)];
    if (!v) return E2BIG;
    if (flags === BPF_NOEXIST) return EEXIST;
    v[this.cpus === 1 ? 0 : cpu].set(value.subarray(0, this.def.valueSize));
    return 0;
  }

  delete(): number {
    return EINVAL;
  }

  set(key: Uint8Array, value: Uint8Array): number {
    return setEveryCpu(this, this.cpus, key, value);
  }

  entries(): [Uint8Array, Uint8Array[]][] {
    return this.values.map((v, i) => [new Uint8Array(new Uint32Array([i]).buffer), v]);
  }
}

/**
 * BPF_MAP_TYPE_LPM_TRIE: keys are a u32 prefix length and data bytes; a lookup finds the entry with
 * the longest prefix (at most the key's own prefix length) whose bits match the key's data, as
 * kernel/bpf/lpm_trie.c does. An entry is identified by its prefix length and masked data.
 */
class LpmTrieMap implements VmMap {
  private items = new Map<string, { key: Uint8Array; value: Uint8Array; prefix: number }>();
  private readonly maxPrefix: number;
  constructor(readonly def: MapDef) {
    if (def.keySize < 5)
      throw new VmMapError(`map ${def.name}: LPM trie keys are a u32 prefix length and at least 1 data byte`);
    this.maxPrefix = (def.keySize - 4) * 8;
  }

  /** The identity of (prefix, data): the data's first `prefix` bits. */
  private static id(key: Uint8Array, prefix: number): string {
    const data = key.slice(4, 4 + Math.ceil(prefix / 8));
    if (prefix % 8) data[data.length - 1] &= 0xff << (8 - (prefix % 8));
    return `${prefix}/${keyString(data)}`;
  }

  lookupAt(bytes: Uint8Array, at: number): Uint8Array | undefined {
    return this.lookup(bytes.subarray(at, at + this.def.keySize));
  }

  lookup(key: Uint8Array): Uint8Array | undefined {
    const max = u32(key);
    if (max > this.maxPrefix) return undefined;
    for (let p = max; p >= 0; p--) {
      const e = this.items.get(LpmTrieMap.id(key, p));
      if (e) return e.value;
    }
    return undefined;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    const prefix = u32(key);
    if (flags > BPF_EXIST || prefix > this.maxPrefix) return EINVAL;
    const id = LpmTrieMap.id(key, prefix),
      old = this.items.get(id);
    if (old && flags === BPF_NOEXIST) return EEXIST;
    if (!old && flags === BPF_EXIST) return ENOENT;
    if (!old && this.items.size >= this.def.maxEntries) return ENOSPC;
    this.items.set(id, { key: key.slice(), value: value.slice(0, this.def.valueSize), prefix });
    return 0;
  }

  delete(key: Uint8Array): number {
    const prefix = u32(key);
    return prefix <= this.maxPrefix && this.items.delete(LpmTrieMap.id(key, prefix)) ? 0 : ENOENT;
  }

  set(key: Uint8Array, value: Uint8Array): number {
    return this.update(key, value, 0);
  }

  entries(): [Uint8Array, Uint8Array[]][] {
    return [...this.items.values()].map((e) => [e.key, [e.value]]);
  }
}

/**
 * The redirect maps (devmap, devmap hash, cpumap, xskmap): entries set from user space; keys of
 * the indexed ones (all but the devmap hash) are below max_entries (else -E2BIG, as the kernel).
 * The VM keeps the values as given (an ifindex, a queue size; no device or socket behind them).
 */
export class RedirectMap extends HashMap {
  override update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    const indexed = this.def.type !== MAP_TYPE.DEVMAP_HASH;
    if (indexed && u32(key) >= this.def.maxEntries) return E2BIG;
    if (indexed && !this.items.has(keyOf(key)) && flags === BPF_EXIST) return ENOENT;
    return super.update(key, value, indexed && flags === BPF_EXIST ? 0 : flags, cpu);
  }
}

/** A record's place in a ring: reserved (busy) until submitted or discarded; `len` counts its header. */
export interface RingSlot {
  data: Uint8Array;
  len: number;
  state: "busy" | "submitted" | "discarded";
}

/** BPF_MAP_TYPE_RINGBUF: records written by the program, read after the run with drain(). */
export class RingMap {
  private slots: RingSlot[] = [];
  private used = 0;
  constructor(readonly def: MapDef) {}

  /** bpf_ringbuf_reserve: a zeroed record of `size` bytes, or undefined when the ring has no room. As
   * in the kernel (__bpf_ringbuf_reserve), the records and their 8-byte headers fill at most size - 1
   * bytes: a ring is never completely full. Records keep the order they were reserved in. */
  reserve(size: number): RingSlot | undefined {
    if (size >= this.def.maxEntries) return undefined;
    const len = (size + 8 + 7) & ~7;
    if (this.used + len >= this.def.maxEntries) return undefined;
    this.used += len;
    const slot: RingSlot = { data: new Uint8Array(size), len, state: "busy" };
    this.slots.push(slot);
    return slot;
  }

  /** bpf_ringbuf_output: 0, or -ENOSPC when the ring has no room (the record is dropped). */
  output(data: Uint8Array): number {
    const slot = this.reserve(data.length);
    if (!slot) return ENOSPC;
    slot.data.set(data);
    slot.state = "submitted";
    return 0;
  }

  /** Every submitted record not yet read, oldest first, up to the first still reserved (as the
   * kernel's consumer stops there); frees their space and that of discarded ones. */
  drain(): Uint8Array[] {
    const busy = this.slots.findIndex((s) => s.state === "busy");
    const read = this.slots.splice(0, busy < 0 ? this.slots.length : busy);
    for (const s of read) this.used -= s.len;
    return read.filter((s) => s.state === "submitted").map((s) => s.data);
  }
}

/** BPF_MAP_TYPE_PROG_ARRAY: bpf_tail_call targets by index, set by name from the test side. */
export class ProgArrayMap {
  readonly progs: (string | undefined)[];
  constructor(readonly def: MapDef) {
    this.progs = new Array<string | undefined>(def.maxEntries).fill(undefined);
  }

  set(index: number, program: string | undefined): void {
    if (!(index >= 0 && index < this.def.maxEntries))
      throw new RangeError(`prog array ${this.def.name}: index ${index} is outside 0..${this.def.maxEntries - 1}`);
    this.progs[index] = program;
  }
}

export type AnyMap = VmMap | RingMap | ProgArrayMap;

export const MAP_TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.values(MAP_TYPE).map((t) => [t, mapTypeName(t)!]),
);

/** Storage for one map of the object; refuses the types the VM does not model yet. */
export function createMap(def: MapDef, cpus: number): AnyMap {
  switch (def.type) {
    case MAP_TYPE.HASH:
      return new HashMap(def, 1);
    case MAP_TYPE.PERCPU_HASH:
      return new HashMap(def, cpus);
    case MAP_TYPE.LRU_HASH:
      return new LruHashMap(def, 1);
    case MAP_TYPE.LRU_PERCPU_HASH:
      return new LruHashMap(def, cpus);
    case MAP_TYPE.ARRAY:
      return new ArrayMap(def, 1);
    case MAP_TYPE.PERCPU_ARRAY:
      return new ArrayMap(def, cpus);
    case MAP_TYPE.LPM_TRIE:
      return new LpmTrieMap(def);
    case MAP_TYPE.RINGBUF:
      return new RingMap(def);
    case MAP_TYPE.PROG_ARRAY:
      return new ProgArrayMap(def);
    case MAP_TYPE.DEVMAP:
    case MAP_TYPE.DEVMAP_HASH:
    case MAP_TYPE.CPUMAP:
    case MAP_TYPE.XSKMAP:
      return new RedirectMap(def, 1);
  }
  const name = MAP_TYPE_NAMES[def.type] ?? `type ${def.type}`;
  throw new VmMapError(`map ${def.name}: ${name} maps are not supported by the VM yet`);
}

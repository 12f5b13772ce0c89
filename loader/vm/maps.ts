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

/** A node of the LPM trie: one bit of the key per level (c0/c1 the next bit 0/1), the entry whose
 *  prefix ends here if any. */
interface LpmNode {
  c0?: LpmNode;
  c1?: LpmNode;
  e?: { key: Uint8Array; value: Uint8Array };
}

/**
 * BPF_MAP_TYPE_LPM_TRIE: keys are a u32 prefix length and data bytes; a lookup finds the entry with
 * the longest prefix (at most the key's own prefix length) whose bits match the key's data, as
 * kernel/bpf/lpm_trie.c does. An entry is identified by its prefix length and masked data: its
 * node in a binary trie, so a lookup walks the key's bits once (no copies, no strings).
 */
class LpmTrieMap implements VmMap {
  private readonly root: LpmNode = {};
  /** The nodes holding entries, in insertion order (entries()). */
  private readonly items = new Set<LpmNode>();
  private readonly maxPrefix: number;
  constructor(readonly def: MapDef) {
    if (def.keySize < 5)
      throw new VmMapError(`map ${def.name}: LPM trie keys are a u32 prefix length and at least 1 data byte`);
    this.maxPrefix = (def.keySize - 4) * 8;
  }

  lookup(key: Uint8Array): Uint8Array | undefined {
    return this.lookupAt(key, 0);
  }

  lookupAt(bytes: Uint8Array, at: number): Uint8Array | undefined {
    const max = u32(bytes, at);
    if (max > this.maxPrefix) return undefined;
    let n: LpmNode | undefined = this.root,
      best = n.e;
    for (let i = 0; i < max; i++) {
      n = (bytes[at + 4 + (i >> 3)] >> (7 - (i & 7))) & 1 ? n.c1 : n.c0;
      if (n === undefined) break;
      if (n.e !== undefined) best = n.e;
    }
    return best?.value;
  }

  /** The nodes from the root to the node of (prefix, data); shorter when `make` is false and the
   *  trie has no such node. */
  private path(key: Uint8Array, prefix: number, make: boolean): LpmNode[] {
    const out = [this.root];
    for (let i = 0, n = this.root; i < prefix; i++) {
      const bit = (key[4 + (i >> 3)] >> (7 - (i & 7))) & 1 ? "c1" : "c0";
      const next: LpmNode | undefined = n[bit] ?? (make ? (n[bit] = {}) : undefined);
      if (!next) break;
      out.push((n = next));
    }
    return out;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    const prefix = u32(key);
    if (flags > BPF_EXIST || prefix > this.maxPrefix) return EINVAL;
    const found = this.path(key, prefix, false),
      old = found.length === prefix + 1 ? found[prefix].e : undefined;
    if (old && flags === BPF_NOEXIST) return EEXIST;
    if (!old && flags === BPF_EXIST) return ENOENT;
    if (!old && this.items.size >= this.def.maxEntries) return ENOSPC;
    const n = this.path(key, prefix, true)[prefix];
    n.e = { key: key.slice(), value: value.slice(0, this.def.valueSize) };
    this.items.add(n);
    return 0;
  }

  delete(key: Uint8Array): number {
    const prefix = u32(key);
    const path = prefix <= this.maxPrefix ? this.path(key, prefix, false) : [];
    const n = path.length === prefix + 1 ? path[prefix] : undefined;
    if (!n?.e) return ENOENT;
    n.e = undefined;
    this.items.delete(n);
    // drop the nodes left without entry or children, leaf first
    for (let d = prefix; d > 0 && !path[d].e && !path[d].c0 && !path[d].c1; d--) {
      const parent = path[d - 1];
      if (parent.c0 === path[d]) parent.c0 = undefined;
      else parent.c1 = undefined;
    }
    return 0;
  }

  set(key: Uint8Array, value: Uint8Array): number {
    return this.update(key, value, 0);
  }

  entries(): [Uint8Array, Uint8Array[]][] {
    return [...this.items].map((n) => [n.e!.key, [n.e!.value]]);
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

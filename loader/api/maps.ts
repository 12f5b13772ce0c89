// Map handles of the library API: take a created map (loader/map.ts) and the object's BTF and give
// get/set/delete/has/keys/entries/setMany over JS values as codec.ts encodes them — numbers for
// integer slots (the .bigint view gives bigints, exact beyond 2^53), plain objects and arrays for
// struct, union and array slots, CIDR strings for LPM trie keys, IPv6 address strings, per-CPU
// values as arrays with .sum(), interfaces for devmaps, programs for prog arrays; entries() and
// setMany() use the kernel's batch operations where it has them; ring buffers' records()
// (records.ts). Bad keys and values are LoaderErrors ("bad-key", "bad-value") naming the map.
import type { ParsedBtf } from "../../compiler/elf/btf.js";
import type { BpfMap } from "../map.js";
import { LoaderError } from "../errors.js";
import { BpfError } from "../sys/errors.js";
import { isUserRing } from "../user-rings.js";
import { readRecords, type RecordsOptions } from "./records.js";
import { setEntry } from "../map-codec.js";
import { MapCodec } from "./codec.js";
import { jsonLine } from "../btf-values.js";

/** One value per possible CPU, with their sum (structs and arrays of integers: field by field). */
export type PerCpuValues<V = number> = V[] & { sum(): V };
/** The same through `.bigint`. */
export type PerCpuBigints = PerCpuValues<bigint>;

/** What a handle's `.bigint` view gives for what the handle gives: every integer as a bigint. */
export type Big<T> = unknown extends T
  ? unknown
  : T extends number
    ? bigint
    : T extends string | boolean | bigint | Uint8Array
      ? T
      : T extends PerCpuValues<infer V>
        ? PerCpuValues<Big<V>>
        : T extends readonly (infer E)[]
          ? Big<E>[]
          : T extends object
            ? { [F in keyof T]: Big<T[F]> }
            : T;

/** A key as JS gives it: an integer, a CIDR string for an LPM trie, a plain object (struct keys),
 * or the raw key bytes. */
export type AnyKey = number | bigint | string | Uint8Array | object;
/** A value as JS gives it: an integer, raw bytes, a plain object or array (struct and array
 * values), an interface (devmaps), a program (prog arrays), or (per-CPU maps) one value per CPU. */
export type AnyValue = number | bigint | string | Uint8Array | object | readonly unknown[];

/**
 * A map of a loaded object. `K` and `V` are what get/keys/entries give back; `In` is what set
 * takes (per-CPU maps: one value for every CPU, or an array of one value per CPU); `R` is what a
 * ring buffer's records() gives.
 */
export class MapHandle<K = AnyKey, V = unknown, In = AnyValue, R = unknown> {
  readonly name: string;
  private readonly codec: MapCodec;

  private big?: MapHandle<K, Big<V>, In | bigint, R>;

  /**
   * `alive` throws once the object is closed (its fds may belong to something else by then);
   * `bigints`: integer values come back as bigints (the `.bigint` view), else as numbers.
   */
  constructor(
    private readonly map: BpfMap,
    private readonly btf: ParsedBtf | undefined,
    private readonly alive: () => void,
    bigints = false,
  ) {
    this.name = map.name;
    this.codec = new MapCodec(map, btf, bigints);
  }

  /**
   * The same map with every integer value as a bigint (exact over the whole 64-bit range; per-CPU
   * sums and struct fields too; keys stay as they are). The handle itself gives numbers: a value
   * beyond 2^53 is an error there.
   */
  get bigint(): MapHandle<K, Big<V>, In | bigint, R> {
    this.big ??= new MapHandle(this.map, this.btf, this.alive, true);
    return this.big;
  }

  /** The byte-level map (loader/map.ts): keys and values as Buffers. */
  get raw(): BpfMap {
    this.alive();
    return this.map;
  }

  get maxEntries(): number {
    return this.map.def.maxEntries;
  }

  get(key: K): V | undefined {
    const bytes = this.raw.get(this.codec.encodeKey(key));
    return bytes && (this.codec.decodeValue(bytes) as V);
  }

  set(key: K, value: In): void {
    const k = this.codec.encodeKey(key);
    setEntry(this.raw, k, this.codec.encodeValue(value), typeof key === "object" ? jsonLine(key) : String(key));
  }

  /** Whether the key was there. */
  delete(key: K): boolean {
    return this.raw.delete(this.codec.encodeKey(key));
  }

  has(key: K): boolean {
    return this.raw.get(this.codec.encodeKey(key)) !== undefined;
  }

  *keys(): IterableIterator<K> {
    for (const k of this.raw.keys()) yield this.codec.decodeKey(k) as K;
  }

  /**
   * Key and value pairs, read 256 at a time with BPF_MAP_LOOKUP_BATCH where the kernel has it for
   * this map type (hash, LRU, array and their per-CPU kinds), else key by key (an entry deleted
   * while iterating is then skipped).
   */
  *entries(): IterableIterator<[K, V]> {
    const batched = this.raw.batchEntries();
    const pair = (k: Buffer, v: Buffer): [K, V] => [this.codec.decodeKey(k) as K, this.codec.decodeValue(v) as V];
    if (batched) {
      for (const [k, v] of batched) yield pair(k, v);
      return;
    }
    for (const k of this.raw.keys()) {
      const v = this.raw.get(k);
      if (v) yield pair(k, v);
    }
  }

  /** Write many entries in one BPF_MAP_UPDATE_BATCH call where the kernel has it, else one by one. */
  setMany(entries: Iterable<readonly [K, In]>): void {
    const all = [...entries].map(([k, v]): [Uint8Array, Uint8Array] => [
      this.codec.encodeKey(k),
      this.codec.encodeValue(v),
    ]);
    try {
      this.raw.setBatch(all);
    } catch (e) {
      if (e instanceof BpfError && (e.code === "E2BIG" || e.code === "ENOSPC"))
        throw new LoaderError(
          "map-full",
          `map ${this.name}`,
          `full: it holds at most ${this.maxEntries} entries (max_entries)`,
        );
      throw e;
    }
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  /** A ring buffer's records as the program writes them, decoded (the bytes when the object names
   *  no record type); waits for more until the object is closed, `signal` aborts or you break. */
  records(opts?: RecordsOptions): AsyncIterableIterator<R> {
    if (!isUserRing(this.raw.def))
      throw new LoaderError("not-ring", `map ${this.name}`, "records() reads ring buffers; this map is not one");
    const open = () => {
      try {
        return (this.alive(), true);
      } catch {
        return false;
      }
    };
    return readRecords(this.map, this.btf, open, opts) as AsyncIterableIterator<R>;
  }
}

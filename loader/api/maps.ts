// Map handles of the library API: take a created map (loader/map.ts) and the object's BTF and give
// get/set/delete/has/keys/entries/setMany over JS values — numbers for integer slots (range-checked
// against the slot's BTF int type, else its size; the .bigint view gives bigints, exact beyond
// 2^53), CIDR strings for IPv4 and IPv6 LPM trie keys, IPv6 address strings for 16-byte keys,
// per-CPU values as arrays with .sum(), raw bytes for slots that are not integers; entries() and
// setMany() use the kernel's batch operations where it has them; ring buffers' records()
// (records.ts). Bad keys and values are LoaderErrors ("bad-key", "bad-value") naming the map.
import type { ParsedBtf } from "../../compiler/elf/btf.js";
import { type BpfMap, perCpuStride, perCpuValues } from "../map.js";
import { LoaderError } from "../errors.js";
import { BpfError } from "../sys/errors.js";
import { isUserRing } from "../user-rings.js";
import { readRecords, type RecordsOptions } from "./records.js";
import {
  intBytes,
  isArray,
  isLpm,
  lpmKey,
  setEntry,
  slotOf,
  slotRange,
  slotTypeName,
  type Slot,
} from "../map-codec.js";
import { formatCidr, parseCidr, parseIpv6 } from "../ip-addr.js";

/** One value per possible CPU, with their sum. */
export type PerCpuValues = number[] & { sum(): number };
/** The same through `.bigint`. */
export type PerCpuBigints = bigint[] & { sum(): bigint };

/** What a handle's `.bigint` view gives for what the handle gives: every integer as a bigint. */
export type Big<T> = unknown extends T
  ? unknown
  : T extends number
    ? bigint
    : T extends PerCpuValues
      ? PerCpuBigints
      : T;

/** A key as JS gives it: an integer, a CIDR string for an LPM trie, or the raw key bytes. */
export type AnyKey = number | bigint | string | Uint8Array;
/** A value as JS gives it: an integer, raw bytes, or (per-CPU maps) one value per CPU. */
export type AnyValue = number | bigint | Uint8Array | readonly number[];

/**
 * A map of a loaded object. `K` and `V` are what get/keys/entries give back; `In` is what set
 * takes (per-CPU maps: one value for every CPU, or an array of one value per CPU); `R` is what a
 * ring buffer's records() gives.
 */
export class MapHandle<K = AnyKey, V = unknown, In = AnyValue, R = unknown> {
  readonly name: string;
  private readonly key: Slot;
  private readonly value: Slot;

  private big?: MapHandle<K, Big<V>, In | bigint, R>;

  /**
   * `alive` throws once the object is closed (its fds may belong to something else by then);
   * `bigints`: integer values come back as bigints (the `.bigint` view), else as numbers.
   */
  constructor(
    private readonly map: BpfMap,
    private readonly btf: ParsedBtf | undefined,
    private readonly alive: () => void,
    private readonly bigints = false,
  ) {
    this.name = map.name;
    this.key = slotOf(map, "key", btf);
    this.value = slotOf(map, "value", btf);
  }

  /**
   * The same map with every integer value as a bigint (exact over the whole 64-bit range; per-CPU
   * sums too; keys stay as they are). The handle itself gives numbers: a value beyond 2^53 is an
   * error there.
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
    const bytes = this.raw.get(this.encodeKey(key));
    return bytes && (this.decodeValue(bytes) as V);
  }

  set(key: K, value: In): void {
    setEntry(this.raw, this.encodeKey(key), this.encodeValue(value), String(key));
  }

  /** Whether the key was there. */
  delete(key: K): boolean {
    return this.raw.delete(this.encodeKey(key));
  }

  has(key: K): boolean {
    return this.raw.get(this.encodeKey(key)) !== undefined;
  }

  *keys(): IterableIterator<K> {
    for (const k of this.raw.keys()) yield this.decodeKey(k) as K;
  }

  /**
   * Key and value pairs, read 256 at a time with BPF_MAP_LOOKUP_BATCH where the kernel has it for
   * this map type (hash, LRU, array and their per-CPU kinds), else key by key (an entry deleted
   * while iterating is then skipped).
   */
  *entries(): IterableIterator<[K, V]> {
    const batched = this.raw.batchEntries();
    if (batched) {
      for (const [k, v] of batched) yield [this.decodeKey(k) as K, this.decodeValue(v) as V];
      return;
    }
    for (const k of this.raw.keys()) {
      const v = this.raw.get(k);
      if (v) yield [this.decodeKey(k) as K, this.decodeValue(v) as V];
    }
  }

  /** Write many entries in one BPF_MAP_UPDATE_BATCH call where the kernel has it, else one by one. */
  setMany(entries: Iterable<readonly [K, In]>): void {
    const all = [...entries].map(([k, v]): [Uint8Array, Uint8Array] => [this.encodeKey(k), this.encodeValue(v)]);
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

  private fail(code: "bad-key" | "bad-value", what: unknown, reason: string): never {
    const shown =
      typeof what === "string" ? `'${what}'` : what instanceof Uint8Array ? `${what.length} byte(s)` : String(what);
    throw new LoaderError(code, `map ${this.name}`, `${code === "bad-key" ? "key" : "value"} ${shown}: ${reason}`);
  }

  private encodeKey(key: unknown): Uint8Array {
    if (this.key.size === 0) this.fail("bad-key", key, "this map has no keys (a ring buffer?)");
    if (key instanceof Uint8Array) return this.exact(key, this.key, "bad-key");
    if (isLpm(this.raw)) {
      const c = typeof key === "string" ? parseCidr(key) : undefined;
      if (!c)
        this.fail("bad-key", key, "an LPM trie key is a CIDR string ('198.51.100.0/24', '2001:db8::/32') or address");
      return lpmKey(this.raw, c);
    }
    if (typeof key === "string" && this.key.size === 16) return this.ipv6(key);
    const b = this.int(key, this.key, "bad-key");
    if (isArray(this.raw) && b.length === 4 && b.readUInt32LE(0) >= this.maxEntries)
      this.fail(
        "bad-key",
        key,
        `out of range: the array has ${this.maxEntries} entries (keys 0..${this.maxEntries - 1})`,
      );
    return b;
  }

  /** An IPv6 address string as the 16 bytes of a slot (network order). */
  private ipv6(text: string): Uint8Array {
    const b = parseIpv6(text);
    if (!b) this.fail("bad-key", text, "a 16-byte slot takes an IPv6 address ('2001:db8::1'), an integer or bytes");
    return b;
  }

  private encodeValue(value: unknown): Uint8Array {
    if (value instanceof Uint8Array) return this.exact(value, this.value, "bad-value");
    if (!Array.isArray(value)) return this.int(value, this.value, "bad-value");
    if (!this.raw.perCpu)
      this.fail("bad-value", value, `an array of values is for per-CPU maps; ${this.name} is not one`);
    const stride = perCpuStride(this.value.size);
    const n = this.raw.lookupSize / stride;
    if (value.length !== n)
      this.fail("bad-value", `[${value.join(", ")}]`, `a per-CPU value has one entry per possible CPU (${n})`);
    const all = Buffer.alloc(this.raw.lookupSize);
    value.forEach((v, i) => all.set(this.int(v, this.value, "bad-value"), i * stride));
    return all;
  }

  private exact(b: Uint8Array, s: Slot, code: "bad-key" | "bad-value"): Uint8Array {
    if (b.length !== s.size) this.fail(code, b, `the ${s.what} is ${s.size} bytes`);
    return b;
  }

  private int(v: unknown, s: Slot, code: "bad-key" | "bad-value"): Buffer {
    if (typeof v !== "number" && typeof v !== "bigint")
      return this.fail(code, v, `expected an integer, not ${typeof v}`);
    if (typeof v === "number" && !Number.isSafeInteger(v)) this.fail(code, v, "not a safe integer (use a bigint)");
    if (![1, 2, 4, 8].includes(s.size))
      this.fail(code, v, `the ${s.what} is ${s.size} bytes (not an integer): give it as a Uint8Array`);
    const [lo, hi] = slotRange(s);
    if (BigInt(v) < lo || BigInt(v) > hi) this.fail(code, v, `does not fit ${slotTypeName(s)} (${lo}..${hi})`);
    return intBytes(BigInt(v), s.size);
  }

  private decodeKey(b: Buffer): AnyKey {
    if (isLpm(this.raw) && (b.length === 8 || b.length === 20)) return formatCidr(b.subarray(4), b.readUInt32LE(0));
    return this.decodeInt(b, this.key, false);
  }

  private decodeValue(b: Buffer): unknown {
    if (!this.raw.perCpu) return this.decodeInt(b, this.value, this.bigints);
    const values = perCpuValues(b, this.value.size).map(
      (x) => this.decodeInt(x, this.value, this.bigints) as number | bigint,
    );
    const sum = () =>
      this.toJs(
        values.reduce<bigint>((a, x) => a + BigInt(x), 0n),
        "the per-CPU sum",
        this.bigints,
      );
    return Object.defineProperty(values, "sum", { value: sum });
  }

  /** An integer slot as a number (exact: beyond 2^53 an error naming .bigint) or, in the .bigint view, a bigint; other sizes as bytes. */
  private decodeInt(b: Buffer, s: Slot, big: boolean): number | bigint | Uint8Array {
    if (![1, 2, 4, 8].includes(b.length)) return new Uint8Array(b);
    const signed = s.int?.signed ?? false;
    const v =
      b.length === 8
        ? signed
          ? b.readBigInt64LE(0)
          : b.readBigUInt64LE(0)
        : BigInt(signed ? b.readIntLE(0, b.length) : b.readUIntLE(0, b.length));
    return this.toJs(v, `${s.what} ${v}`, big);
  }

  private toJs(v: bigint, what: string, big: boolean): number | bigint {
    if (big) return v;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
      throw new LoaderError(
        "bad-value",
        `map ${this.name}`,
        `${what} does not fit a JS number exactly (beyond 2^53)`,
        what.startsWith("key")
          ? "read such keys as bytes through .raw"
          : `read it as a bigint through the .bigint view: maps.${this.name}.bigint.get(key)`,
      );
    return Number(v);
  }
}

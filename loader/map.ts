// A created map: its fd and definition, with byte-level get/set/delete/keys (per-CPU maps: one
// value in, every possible CPU's slot written), batch reads and writes where the kernel has them
// (MAP_LOOKUP_BATCH / MAP_UPDATE_BATCH, else one entry at a time) and u32/u64 helpers.
import type { LoadedMap } from "../compiler/object.js";
import { isPerCpu } from "../compiler/abi.js";
import {
  mapDelete,
  mapLookup,
  mapLookupBatchRaw,
  mapNextKey,
  mapUpdate,
  mapUpdateBatchRaw,
  BPF_ANY,
} from "./sys/bpf.js";
import { BpfError, hintFor } from "./sys/errors.js";
import { mapInfo } from "./sys/bpf.js";
import { readFileSync } from "node:fs";

export class BpfMap {
  readonly name: string;
  /** `reused`: the map was already pinned (load with a pin directory) and this is that map. */
  constructor(
    readonly fd: number,
    readonly def: LoadedMap,
    readonly reused = false,
  ) {
    this.name = def.name;
  }

  get perCpu(): boolean {
    return isPerCpu(this.def.type);
  }

  /** Value size as the kernel sees it (per-CPU maps take one value per possible CPU, 8-aligned). */
  get lookupSize(): number {
    return this.perCpu ? perCpuStride(this.def.valueSize) * possibleCpus() : this.def.valueSize;
  }

  get(key: Uint8Array): Buffer | undefined {
    return mapLookup(this.fd, key, this.lookupSize);
  }

  /** `value` is one value (copied to every possible CPU of a per-CPU map) or the whole per-CPU array. */
  set(key: Uint8Array, value: Uint8Array, flags = BPF_ANY): void {
    mapUpdate(this.fd, key, this.perCpu && value.length === this.def.valueSize ? this.everyCpu(value) : value, flags);
  }

  /** The kernel reads lookupSize bytes on a per-CPU update: one 8-aligned slot per possible CPU. */
  private everyCpu(value: Uint8Array): Buffer {
    const stride = perCpuStride(this.def.valueSize);
    const all = Buffer.alloc(this.lookupSize);
    for (let o = 0; o < all.length; o += stride) all.set(value, o);
    return all;
  }

  delete(key: Uint8Array): boolean {
    return mapDelete(this.fd, key);
  }

  *keys(): Generator<Buffer> {
    let k: Buffer | undefined = mapNextKey(this.fd, null, this.def.keySize);
    while (k) {
      yield k;
      k = mapNextKey(this.fd, k, this.def.keySize);
    }
  }

  /**
   * Every entry, read BATCH at a time with MAP_LOOKUP_BATCH; undefined when the kernel has no batch
   * lookup for this map type (LPM tries, ring buffers, older kernels): iterate keys() instead.
   */
  batchEntries(batch = 256): Generator<[Buffer, Buffer]> | undefined {
    const { keySize } = this.def;
    const probe = this.lookupBatch(null, batch);
    if (typeof probe === "number") return undefined;
    const self = this;
    return (function* () {
      let page = probe;
      for (;;) {
        for (let i = 0; i < page.n; i++)
          yield [
            page.keys.subarray(i * keySize, (i + 1) * keySize),
            page.values.subarray(i * self.lookupSize, (i + 1) * self.lookupSize),
          ];
        if (page.done) return;
        const more = self.lookupBatch(page.next, batch);
        if (typeof more === "number") throw new BpfError("map lookup batch", -more, hintFor(-more));
        page = more;
      }
    })();
  }

  /** Every entry: by batches where the kernel has them, else key by key. */
  entries(): Iterable<[Buffer, Buffer]> {
    return this.batchEntries() ?? this.entriesByKey();
  }

  private *entriesByKey(): Generator<[Buffer, Buffer]> {
    for (const k of this.keys()) {
      const v = this.get(k);
      if (v) yield [k, v];
    }
  }

  /** One page; a hash bucket larger than `count` (ENOSPC) gets a larger page. */
  private lookupBatch(token: Buffer | null, count: number) {
    for (; ; count *= 2) {
      const next = Buffer.alloc(Math.max(this.def.keySize, 8));
      const keys = Buffer.alloc(count * this.def.keySize);
      const values = Buffer.alloc(count * this.lookupSize);
      const r = mapLookupBatchRaw(this.fd, token, next, keys, values, count);
      if (r === -28 && count < 1 << 16) continue;
      return typeof r === "number" ? r : { ...r, next, keys, values };
    }
  }

  /**
   * Write entries (per-CPU maps: whole per-CPU values) with MAP_UPDATE_BATCH, one call for all;
   * where the kernel has no batch update for this map type, one update each.
   */
  setBatch(entries: [Uint8Array, Uint8Array][]): void {
    if (!entries.length) return;
    const keys = Buffer.concat(entries.map(([k]) => k));
    const values = Buffer.concat(
      entries.map(([, v]) => (this.perCpu && v.length === this.def.valueSize ? this.everyCpu(v) : v)),
    );
    const r = mapUpdateBatchRaw(this.fd, keys, values, entries.length);
    if (r === entries.length) return;
    if (r >= 0 || !NO_BATCH.has(-r)) throw new BpfError("map update batch", r < 0 ? -r : 28, hintFor(r < 0 ? -r : 28));
    for (const [k, v] of entries) this.set(k, v);
  }

  id(): number {
    return mapInfo(this.fd).id;
  }
}

/** EINVAL, ENOTSUPP (524), EOPNOTSUPP: the map type has no batch operation. */
const NO_BATCH = new Set([22, 95, 524]);

export const perCpuStride = (valueSize: number): number => (valueSize + 7) & ~7;

/** A per-CPU lookup's bytes split into each CPU's value (valueSize bytes at 8-byte strides). */
export function perCpuValues(all: Buffer, valueSize: number): Buffer[] {
  const stride = perCpuStride(valueSize);
  const out: Buffer[] = [];
  for (let o = 0; o < all.length; o += stride) out.push(all.subarray(o, o + valueSize));
  return out;
}

let cpus: number | undefined;
export function possibleCpus(): number {
  if (cpus !== undefined) return cpus;
  try {
    // e.g. "0-1" or "0,2-3"
    const s = readFileSync("/sys/devices/system/cpu/possible", "utf8").trim();
    cpus = s.split(",").reduce((n: number, r: string) => {
      const [a, b] = r.split("-").map(Number);
      return n + (b === undefined ? 1 : b - a + 1);
    }, 0);
  } catch {
    cpus = 1;
  }
  return cpus!;
}

/** Little-endian encodings for map keys and values. */
export function u32le(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return b;
}

export function u64le(v: bigint | number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)), 0);
  return b;
}

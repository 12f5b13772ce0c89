// Map lookups computed once, an optimiser pass: takes an IR Func and the maps' key and value sizes
// and rewrites it in place. A bpf_map_lookup_elem of the same map with the same key bytes as one
// that every path to it has already made, with no update or delete of that map (or unknown
// helper) in between, reuses that lookup's pointer (`if (M.has(k)) M.add(k, 1)`: the second lookup,
// its key store and, by the jump threading that follows, add()'s insert path go). A racing delete
// on another CPU gives the same result as if it had come after the second lookup. Then stores to
// the stack that nothing reads any more (a key no call takes) are removed.
import { HELPER } from "../../abi.js";
import { type Func, type Op, type Reg, rpo, successors, termUses, uses } from "../ir.js";
import type { SingleDefs } from "./ranges.js";

export interface MapSizes {
  keySize: number;
  valueSize: number;
}
export type MapSizeTable = ReadonlyMap<string, MapSizes>;

type Call = Extract<Op, { op: "call" }>;
type Avail = Map<string, Reg>;

/** Helpers that add or remove no map element (a lookup's pointer stays the element's). */
const KEEPS_ELEMENTS = new Set<number>([
  HELPER.map_lookup_elem,
  HELPER.ktime_get_ns,
  HELPER.trace_printk,
  HELPER.get_prandom_u32,
  HELPER.get_smp_processor_id,
  HELPER.redirect,
  HELPER.csum_diff,
  HELPER.xdp_adjust_head,
  HELPER.redirect_map,
  HELPER.xdp_adjust_meta,
  HELPER.xdp_adjust_tail,
  HELPER.fib_lookup,
  HELPER.ktime_get_boot_ns,
  HELPER.ringbuf_output,
  HELPER.ringbuf_reserve,
  HELPER.ringbuf_submit,
  HELPER.ringbuf_discard,
  HELPER.ringbuf_query,
  HELPER.ktime_get_coarse_ns,
  HELPER.xdp_get_buff_len,
]);

export function reuseLookups(f: Func, sd: SingleDefs, maps: MapSizeTable): boolean {
  const order = rpo(f);
  const lookups = order.reduce(
    (n, id) => n + f.blocks[id]!.ops.filter((o) => o.op === "call" && o.helper === HELPER.map_lookup_elem).length,
    0,
  );
  if (lookups < 2) return false;
  const inOf = availability(f, order, sd, maps);
  let changed = false;
  for (const id of order) {
    const avail = new Map(inOf.get(id) ?? []);
    const b = f.blocks[id]!;
    b.ops = b.ops.map((o, i) => {
      const sig = o.op === "call" ? lookupKey(b.ops, i, sd, maps) : undefined;
      const prev = sig === undefined ? undefined : avail.get(sig);
      if (prev !== undefined && o.op === "call" && o.dst !== undefined && prev !== o.dst) {
        changed = true;
        return { op: "mov", dst: o.dst, src: prev, span: o.span };
      }
      transfer(avail, b.ops, i, sd, maps);
      return o;
    });
  }
  return changed;
}

/** Lookups available at each block's entry: made on every path to it and not killed since. */
function availability(f: Func, order: number[], sd: SingleDefs, maps: MapSizeTable): Map<number, Avail> {
  const preds = new Map<number, number[]>();
  for (const id of order)
    for (const s of successors(f.blocks[id]!.term)) (preds.get(s) ?? preds.set(s, []).get(s)!).push(id);
  const inOf = new Map<number, Avail>([[0, new Map()]]);
  const outOf = new Map<number, Avail>();
  // what every processed predecessor makes available (one not processed yet does not restrict)
  const meet = (s: number): Avail => {
    let acc: Avail | undefined;
    for (const out of (preds.get(s) ?? []).map((p) => outOf.get(p))) {
      if (out) acc = acc ? new Map([...acc].filter(([k, v]) => out.get(k) === v)) : new Map(out);
    }
    return s === 0 ? new Map() : (acc ?? new Map());
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const id of order) {
      const b = f.blocks[id]!;
      const avail = new Map(inOf.get(id) ?? []);
      b.ops.forEach((_, i) => transfer(avail, b.ops, i, sd, maps));
      const old = outOf.get(id);
      if (old && old.size === avail.size && [...avail].every(([k, v]) => old.get(k) === v)) continue;
      outOf.set(id, avail);
      changed = true;
      for (const s of successors(b.term)) inOf.set(s, meet(s));
    }
  }
  return inOf;
}

/** The effect of op i on the available lookups. */
function transfer(avail: Avail, ops: readonly Op[], i: number, sd: SingleDefs, maps: MapSizeTable): void {
  const o = ops[i]!;
  if (o.op === "callp") return avail.clear();
  if (o.op !== "call") return;
  if (o.helper === HELPER.map_update_elem || o.helper === HELPER.map_delete_elem) {
    const m = mapName(o.args[0], sd);
    if (m === undefined) return avail.clear();
    for (const k of avail.keys()) if (k.startsWith(`${m}|`)) avail.delete(k);
    return;
  }
  if (!KEEPS_ELEMENTS.has(o.helper)) return avail.clear();
  const sig = lookupKey(ops, i, sd, maps);
  if (sig && o.dst !== undefined && sd.has(o.dst) && !avail.has(sig)) avail.set(sig, o.dst);
}

function mapName(v: Call["args"][number] | undefined, sd: SingleDefs): string | undefined {
  const d = typeof v === "number" ? sd.get(v) : undefined;
  return d?.op === "ldmap" ? d.map : undefined;
}

/**
 * `map|bytes` for a lookup whose key bytes the same block stored, since its last call, from
 * constants and single definitions (values that cannot change); undefined otherwise.
 */
function lookupKey(ops: readonly Op[], i: number, sd: SingleDefs, maps: MapSizeTable): string | undefined {
  const o = ops[i]!;
  if (o.op !== "call" || o.helper !== HELPER.map_lookup_elem || o.dst === undefined) return undefined;
  const map = mapName(o.args[0], sd);
  const kp = typeof o.args[1] === "number" ? sd.get(o.args[1]) : undefined;
  const size = map === undefined ? undefined : maps.get(map)?.keySize;
  if (map === undefined || kp?.op !== "frame" || !size) return undefined;
  const covered = new Uint8Array(size);
  const parts: string[] = [];
  for (let j = i - 1; j >= 0 && covered.includes(0); j--) {
    const s = ops[j]!;
    if (s.op === "call" || s.op === "callp") return undefined;
    if (s.op !== "store" || s.base !== 10) continue;
    const lo = s.off - kp.off,
      hi = lo + s.size;
    if (hi <= 0 || lo >= size) continue;
    if (lo < 0 || hi > size || covered.subarray(lo, hi).some((c) => c)) return undefined;
    if (typeof s.src === "number" && !sd.has(s.src)) return undefined;
    covered.fill(1, lo, hi);
    parts.push(`${lo}:${s.size}:${typeof s.src === "bigint" ? `#${s.src}` : `v${s.src}`}`);
  }
  return covered.includes(0) ? undefined : `${map}|${parts.sort().join(",")}`;
}

const bytes = (lo: number, hi: number): bigint => ((1n << BigInt(hi - lo)) - 1n) << BigInt(lo + 512);

/**
 * Remove stores to the stack that nothing reads before they are overwritten or the program returns
 * (liveness of the 512 stack bytes: a load from r10 reads, a call reads what its frame-address
 * arguments reach, an address used any other way keeps everything above it live for good).
 */
export function deadStackStores(f: Func, sd: SingleDefs, maps: MapSizeTable): boolean {
  const order = rpo(f);
  let pinned = 0n;
  const frameOf = (r: Reg): number | undefined => {
    const d = sd.get(r);
    return d?.op === "frame" ? d.off : undefined;
  };
  for (const id of order) {
    const b = f.blocks[id]!;
    for (const o of b.ops) {
      if (o.op !== "load" && o.op !== "store" && uses(o).includes(10)) return false;
      if (o.op === "store" && o.src === 10) return false;
      for (const u of uses(o)) {
        const off = frameOf(u);
        if (off !== undefined && argExtent(o, u, sd, maps) === undefined) pinned |= bytes(off, 0);
      }
    }
    for (const u of termUses(b.term)) {
      const off = frameOf(u);
      if (off !== undefined) pinned |= bytes(off, 0);
    }
  }
  const liveIn = new Map<number, bigint>();
  const walk = (id: number, drop: boolean): bigint => {
    const b = f.blocks[id]!;
    let live = successors(b.term).reduce((acc, s) => acc | (liveIn.get(s) ?? 0n), 0n);
    const keep: Op[] = [];
    for (let i = b.ops.length - 1; i >= 0; i--) {
      const o = b.ops[i]!;
      if (o.op === "store" && o.base === 10) {
        const m = bytes(o.off, o.off + o.size);
        if (drop && !((live | pinned) & m)) continue;
        live &= ~m;
      } else if (o.op === "load" && o.base === 10) live |= bytes(o.off, o.off + o.size);
      else
        for (const u of uses(o)) {
          const off = frameOf(u);
          const ext = off === undefined ? undefined : argExtent(o, u, sd, maps);
          if (off !== undefined && ext !== undefined) live |= bytes(off, Math.min(0, off + ext));
        }
      keep.push(o);
    }
    if (drop) b.ops = keep.reverse();
    return live;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const id of [...order].reverse()) {
      const live = walk(id, false);
      if (live !== liveIn.get(id)) {
        liveIn.set(id, live);
        changed = true;
      }
    }
  }
  let removed = false;
  for (const id of order) {
    const n = f.blocks[id]!.ops.length;
    walk(id, true);
    removed = removed || f.blocks[id]!.ops.length !== n;
  }
  return removed;
}

/** The bytes a helper reads through argument `r`: a map key or value, or a ring buffer record. */
function argExtent(o: Op, r: Reg, sd: SingleDefs, maps: MapSizeTable): number | undefined {
  if (o.op !== "call") return undefined;
  const at = o.args.indexOf(r);
  if (at < 0 || o.args.lastIndexOf(r) !== at) return undefined;
  const m = mapName(o.args[0], sd);
  const sizes = m === undefined ? undefined : maps.get(m);
  const h = o.helper;
  if (
    at === 1 &&
    sizes &&
    (h === HELPER.map_lookup_elem || h === HELPER.map_update_elem || h === HELPER.map_delete_elem)
  )
    return sizes.keySize;
  if (at === 2 && sizes && h === HELPER.map_update_elem) return sizes.valueSize;
  if (at === 1 && h === HELPER.ringbuf_output && typeof o.args[2] === "bigint") return Number(o.args[2]);
  return undefined;
}

// The VM's helper functions with kernel semantics: takes the running VM's state (memory, maps,
// packet, clock, random generator, CPU) and produces the table helper id → implementation.
// Results are what the kernel returns, -errno included. Helpers missing here are refused by the
// compiler with their id and name.
import type { HelperFn, Machine, Program } from "./machine.js";
import { EINVAL, ProgArrayMap, RedirectMap, RingMap, type AnyMap, type VmMap } from "./maps.js";
import type { RingRecords } from "./ring-records.js";
import { VmFault, type Memory, type Region } from "./memory.js";
import { FIB_LOOKUP_SIZE, HELPER, helperNameOf, MAP_TYPE, REDIRECT_FLAG, XDP_ACTION } from "../../compiler/abi.js";
import { fibLookup, type FibTable } from "./fib.js";
import { big, canon, lo32, type Reg } from "./reg.js";

export function helperName(id: number): string {
  const name = helperNameOf(id);
  return name ? `#${id} (bpf_${name})` : `#${id}`;
}

/** What the helpers act on: the packet's pointers live in the packet region's bounds. */
export interface HelperState {
  mem: Memory;
  packet: Region;
  /** The byte index of data (data_meta is packet.lo, data_end is packet.hi). */
  data: number;
  /** Set when an adjust helper moved data, data_meta or data_end in this run (run() then zeroes
   *  the whole frame for the next one, not only the packet's bytes). */
  reshaped: boolean;
  mapOf(r: Region | undefined): AnyMap | undefined;
  /** The compiled program a tail call jumps to, and the tail calls made in this run. */
  compiled(name: string): Program;
  tailCalls: number;
  valuePtr(map: VmMap, value: Uint8Array): Reg;
  /** Records reserved in ring buffers and not yet submitted or discarded. */
  records: RingRecords;
  clock: { ns: bigint };
  random(): number;
  cpu: number;
  /** Where the last bpf_redirect/bpf_redirect_map of this run sent the packet. */
  redirect: VmRedirect | undefined;
  /** The routes bpf_fib_lookup looks up. */
  fib: FibTable;
}

/** A redirect target: an ifindex (bpf_redirect), or a map entry (bpf_redirect_map; broadcast:
 * every entry of a devmap). The verdict is XDP_REDIRECT only if the program returns it. */
export type VmRedirect = { ifindex: number } | { map: string; key: number; broadcast?: boolean };

const MAX_TAIL_CALLS = 33,
  XDP_FRAME = 40,
  ETH_HLEN = 14,
  HARD_END = 4096 - 320,
  MAX_META = 32;
/** Sets r0 to a helper's result: a u64, or -errno (kept as its u64, one BigInt per errno). */
const ret = (x: Machine, v: number | bigint) => {
  x.r[0] = typeof v === "number" && v >= 0 ? v : typeof v === "number" && v > -4096 ? errno(v) : u64(v);
};
const u64 = (v: number | bigint) => canon(BigInt.asUintN(64, BigInt(v)));
const errnos = new Map<number, Reg>();
const errno = (v: number) => {
  let r = errnos.get(v);
  if (r === undefined) errnos.set(v, (r = u64(v)));
  return r;
};
/** A register's low 32 bits as a signed number (helper int arguments). */
const s32 = (v: Reg) => lo32(v) | 0;

export function xdpHelpers(s: HelperState): Map<number, HelperFn> {
  const kv = (x: Machine, insn: number, name: string): VmMap => {
    const m = s.mapOf(s.mem.regionOf(x.r[1]));
    if (!m || !("lookup" in m)) throw new VmFault(`bpf_${name}: r1 is not a pointer to a key/value map`, insn);
    return m;
  };
  const ring = (x: Machine, insn: number, name: string): RingMap => {
    const m = s.mapOf(s.mem.regionOf(x.r[1]));
    if (!(m instanceof RingMap)) throw new VmFault(`bpf_${name}: r1 is not a pointer to a ring buffer`, insn);
    return m;
  };
  const key = (x: Machine, m: VmMap, insn: number) => s.mem.view(x.r[2], m.def.keySize, insn);
  const clock = (x: Machine) => ret(x, s.clock.ns);
  return new Map<number, HelperFn>([
    [
      HELPER.map_lookup_elem,
      (x, i) => {
        const m = kv(x, i, "map_lookup_elem");
        const at = s.mem.check(x.r[2], m.def.keySize, false, i);
        const v = m.lookupAt(s.mem.hit!.bytes, at, s.cpu);
        ret(x, v ? s.valuePtr(m, v) : 0);
      },
    ],
    [
      HELPER.map_update_elem,
      (x, i) => {
        const m = kv(x, i, "map_update_elem");
        ret(x, m.update(key(x, m, i), s.mem.bytes(x.r[3], m.def.valueSize, i), Number(big(x.r[4])), s.cpu));
      },
    ],
    [
      HELPER.map_delete_elem,
      (x, i) => {
        const m = kv(x, i, "map_delete_elem");
        ret(x, m.delete(key(x, m, i)));
      },
    ],
    [HELPER.ktime_get_ns, clock],
    [HELPER.ktime_get_boot_ns, clock],
    [HELPER.ktime_get_coarse_ns, clock],
    [HELPER.get_prandom_u32, (x) => ret(x, s.random() >>> 0)],
    [HELPER.get_smp_processor_id, (x) => ret(x, s.cpu)],
    [HELPER.tail_call, (x, i) => tailCall(s, x, i)],
    [HELPER.csum_diff, (x, i) => ret(x, csumDiff(s, x, i))],
    [HELPER.redirect, (x) => ret(x, redirect(s, lo32(x.r[1]), big(x.r[2])))],
    [HELPER.redirect_map, (x, i) => ret(x, redirectMap(s, x, i))],
    [HELPER.xdp_adjust_head, (x) => ret(x, adjustHead(s, s32(x.r[2])))],
    [HELPER.xdp_adjust_meta, (x) => ret(x, adjustMeta(s, s32(x.r[2])))],
    [HELPER.xdp_adjust_tail, (x) => ret(x, adjustTail(s, s32(x.r[2])))],
    [HELPER.fib_lookup, (x, i) => ret(x, fibHelper(s, x, i))],
    [HELPER.xdp_get_buff_len, (x) => ret(x, s.packet.hi - s.data)], // no fragments: data_end - data
    [HELPER.ringbuf_output, (x, i) => ret(x, ring(x, i, "ringbuf_output").output(s.mem.view(x.r[2], lo32(x.r[3]), i)))],
    [
      HELPER.ringbuf_reserve,
      (x, i) => {
        const m = ring(x, i, "ringbuf_reserve");
        const slot = big(x.r[3]) ? undefined : m.reserve(Number(big(x.r[2]))); // flags: none are valid
        ret(x, slot ? s.records.ptr(slot) : 0);
      },
    ],
    [HELPER.ringbuf_submit, (x, i) => ret(x, (s.records.release(x.r[1], "submitted", i), 0))],
    [HELPER.ringbuf_discard, (x, i) => ret(x, (s.records.release(x.r[1], "discarded", i), 0))],
  ]);
}

/** bpf_fib_lookup(ctx, params, plen, flags) on the route table (fib.ts), params changed in place. */
function fibHelper(s: HelperState, x: Machine, insn: number): number {
  const plen = s32(x.r[3]);
  if (plen < FIB_LOOKUP_SIZE) return EINVAL;
  const at = s.mem.check(x.r[2], FIB_LOOKUP_SIZE, true, insn);
  return fibLookup(s.fib, s.mem.hit!.bytes, at, plen, lo32(x.r[4]));
}

/** bpf_tail_call: jumps to the program at index r3, or falls through (no program, 33 calls made). */
function tailCall(s: HelperState, x: Machine, insn: number): void {
  const m = s.mapOf(s.mem.regionOf(x.r[2]));
  if (!(m instanceof ProgArrayMap)) throw new VmFault("bpf_tail_call: r2 is not a pointer to a prog array", insn);
  if (x.frames.length)
    throw new VmFault("bpf_tail_call from a BPF-to-BPF subprogram is not supported by the VM yet", insn);
  const name = m.progs[lo32(x.r[3])];
  if (name === undefined || s.tailCalls >= MAX_TAIL_CALLS) return;
  s.tailCalls++;
  x.tail = s.compiled(name);
}

/** bpf_redirect(ifindex, flags): XDP_REDIRECT, or XDP_ABORTED for any flag. */
function redirect(s: HelperState, ifindex: number, flags: bigint): number {
  if (flags) return XDP_ACTION.ABORTED;
  s.redirect = { ifindex };
  return XDP_ACTION.REDIRECT;
}

/** bpf_redirect_map(map, key, flags) as __bpf_xdp_redirect_map: flags beyond the action bits (and,
 * for devmaps, BPF_F_BROADCAST/EXCLUDE_INGRESS) abort; a key without entry returns the action bits. */
function redirectMap(s: HelperState, x: Machine, insn: number): number {
  const m = s.mapOf(s.mem.regionOf(x.r[1]));
  if (!(m instanceof RedirectMap)) throw new VmFault("bpf_redirect_map: r1 is not a pointer to a redirect map", insn);
  const key = lo32(x.r[2]),
    flags = big(x.r[3]);
  const devmap = m.def.type === MAP_TYPE.DEVMAP || m.def.type === MAP_TYPE.DEVMAP_HASH;
  const allowed = BigInt(
    REDIRECT_FLAG.ACTION_MASK | (devmap ? REDIRECT_FLAG.BROADCAST | REDIRECT_FLAG.EXCLUDE_INGRESS : 0),
  );
  if (flags & ~allowed) return XDP_ACTION.ABORTED;
  const broadcast = devmap && (flags & BigInt(REDIRECT_FLAG.BROADCAST)) !== 0n;
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, key, true);
  if (!broadcast && !m.lookup(k, s.cpu)) return Number(flags & BigInt(REDIRECT_FLAG.ACTION_MASK));
  s.redirect = broadcast ? { map: m.def.name, key, broadcast } : { map: m.def.name, key };
  return XDP_ACTION.REDIRECT;
}

/** 32-bit one's complement addition (the kernel's csum_add). */
const csumAdd = (a: number, b: number) => {
  const r = a + b;
  return r > 0xffffffff ? r - 0xffffffff : r;
};

/** csum_partial: seed plus the buffer's little-endian 32-bit words, end-around carried. */
function csumPartial(b: Uint8Array, seed: number): number {
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  let sum = seed;
  for (let i = 0; i < b.length; i += 4) sum = csumAdd(sum, v.getUint32(i, true));
  return sum;
}

/** bpf_csum_diff(from, from_size, to, to_size, seed) as kernels since 6.13 compute it (folded to
 * 16 bits by csum_from32to16); -EINVAL for sizes that are not multiples of 4. */
function csumDiff(s: HelperState, x: Machine, insn: number): number {
  const fromSize = lo32(x.r[2]),
    toSize = lo32(x.r[4]);
  if ((fromSize | toSize) & 3) return EINVAL;
  const from = fromSize ? s.mem.bytes(x.r[1], fromSize, insn) : undefined;
  const to = toSize ? s.mem.bytes(x.r[3], toSize, insn) : undefined;
  let sum = lo32(x.r[5]);
  if (from && to) sum = csumAdd(csumPartial(to, sum), ~csumPartial(from, 0) >>> 0);
  else if (to) sum = csumPartial(to, sum);
  else if (from) sum = ~csumPartial(from, ~sum >>> 0) >>> 0;
  return (((sum + ((sum >>> 16) | (sum << 16))) >>> 0) >>> 16) & 0xffff;
}

/** bpf_xdp_adjust_head as net/core/filter.c does it (moving the metadata with data). */
function adjustHead(s: HelperState, delta: number): number {
  s.reshaped = true;
  const p = s.packet,
    meta = s.data - p.lo,
    data = s.data + delta;
  if (data < XDP_FRAME + meta || data > p.hi - ETH_HLEN) return EINVAL;
  if (meta) p.bytes.copyWithin(p.lo + delta, p.lo, s.data);
  p.lo += delta;
  s.data = p.origin = data;
  return 0;
}

function adjustMeta(s: HelperState, delta: number): number {
  s.reshaped = true;
  const p = s.packet,
    meta = p.lo + delta,
    len = s.data - meta;
  if (meta < XDP_FRAME || meta > s.data || len & 3 || len > MAX_META) return EINVAL;
  p.lo = meta;
  return 0;
}

function adjustTail(s: HelperState, delta: number): number {
  s.reshaped = true;
  const p = s.packet,
    end = p.hi + delta;
  if (end > HARD_END || end < s.data + ETH_HLEN) return EINVAL;
  if (delta > 0) p.bytes.fill(0, p.hi, end);
  p.hi = end;
  return 0;
}

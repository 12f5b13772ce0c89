// Packet bytes at any offset: takes a checked `ctx.loadU16(off)` / `ctx.storeU16(off, v)` call
// (catalog.ts PACKET_ACCESS: size, byte order, load or store) and a LowerCtx; emits the bounds
// check of a view of `size` bytes at the offset (header.ts's null test: a constant offset proves
// the range for later views, a variable one is clamped as ctx.header's), then the load (a
// nullable value: the in-bounds flag and the value read, 0 past the end) or the store (a bool:
// whether it was written).
import type * as A from "../ast.js";
import { INT_TYPES, PACKET_ACCESS, type PacketAccess } from "../catalog.js";
import type { Val } from "../ir.js";
import type { LowerCtx } from "./core.js";
import { clampOffset, headerNullTest } from "./header.js";
import { lowBits, narrowTo } from "./int.js";
import { type HeaderVal, type MapValPtr, U32 } from "./types.js";

/** Whether `method` is a packet load/store; its lowering then. */
export function packetAccess(L: LowerCtx, method: string, e: A.CallExpr): Val | MapValPtr | undefined {
  const a = PACKET_ACCESS[method];
  if (!a) return undefined;
  return a.store ? store(L, a, e) : load(L, a, e);
}

function load(L: LowerCtx, a: PacketAccess, e: A.CallExpr): MapValPtr {
  const type = uint(a);
  const ok = L.reg(),
    val = L.reg();
  L.emit({ op: "mov", dst: ok, src: 0n });
  L.emit({ op: "mov", dst: val, src: 0n });
  inBounds(L, a, e, (view) => {
    L.emit({ op: "mov", dst: val, src: ordered(L, a, L.load(view.base, view.off, a.size)) });
    L.emit({ op: "mov", dst: ok, src: 1n });
  });
  return { k: "mapval", ptr: ok, type, val };
}

/** `ctx.loadU16(off) ?? v`: the value read, or v (lowered only when the bytes run past the end). */
export function loadOr(L: LowerCtx, e: A.CallExpr, orElse: () => Val): Val | undefined {
  const a = e.callee?.kind === "ctxMethod" ? PACKET_ACCESS[e.callee.method] : undefined;
  if (!a || a.store) return undefined;
  const d = L.reg();
  const view = byteView(L, a, e);
  const hit = L.newBlock(),
    miss = L.newBlock(),
    join = L.newBlock();
  headerNullTest(L, view, miss, hit, e.span);
  L.start(hit);
  L.emit({ op: "mov", dst: d, src: ordered(L, a, L.load(view.base, view.off, a.size)) });
  L.jump(join);
  L.start(miss);
  L.emit({ op: "mov", dst: d, src: orElse() });
  L.jump(join);
  L.start(join);
  return d;
}

function store(L: LowerCtx, a: PacketAccess, e: A.CallExpr): Val {
  const done = L.reg();
  L.emit({ op: "mov", dst: done, src: 0n });
  const v = lowBits(L, e.args[1]!, uint(a));
  inBounds(L, a, e, (view) => {
    L.emit({ op: "store", base: view.base, off: view.off, src: ordered(L, a, v), size: a.size });
    L.emit({ op: "mov", dst: done, src: 1n });
  });
  L.facts.forgetLoads(); // header fields read before may have changed
  return done;
}

/** Run body (given the checked view) where the packet holds `size` bytes at the offset. */
function inBounds(L: LowerCtx, a: PacketAccess, e: A.CallExpr, body: (view: HeaderVal) => void): void {
  const view = byteView(L, a, e);
  const hit = L.newBlock(),
    join = L.newBlock();
  headerNullTest(L, view, join, hit, e.span);
  L.start(hit);
  body(view);
  L.jump(join);
  L.start(join);
}

/** The `size` bytes at the call's offset, as a header view (constant offsets off data, others clamped). */
function byteView(L: LowerCtx, a: PacketAccess, e: A.CallExpr): HeaderVal {
  const off = narrowTo(L, e.args[0]!, U32);
  const v = { k: "hdr" as const, header: "", size: a.size, epoch: L.facts.epoch };
  if (typeof off !== "bigint")
    return { ...v, base: L.alu("add", L.data, clampOffset(L, off), false), off: 0, varBase: true };
  if (off + BigInt(a.size) > 0xffffn) L.fail("packet offset is beyond any packet (> 65535)", e.args[0]!.span);
  return { ...v, base: L.data, off: Number(off), varBase: false };
}

/** A value between wire order and host order (network order swaps; little-endian is as it is). */
function ordered(L: LowerCtx, a: PacketAccess, v: Val): Val {
  return a.le ? v : L.swapVal(v, a.size * 8);
}

const uint = (a: PacketAccess): A.IntType => INT_TYPES[`u${a.size * 8}` as A.IntName];

// Lowering of map method calls (get/set/delete/has/add/output/reserve/submit/discard): takes a checked
// method call and emits IR for the map helpers (lookup 1, update 2, delete 3, ringbuf_output 130,
// reserve 131, submit 132, discard 133). Keys and values
// go to the statement's stack scratch; LPM trie keys are { prefixlen: u32, data } with data in
// network order; `add` is an atomic `lock +=` on 4- and 8-byte values; `get` loads an integer
// value at the call, and gives a struct value as a place in the map (a reference, null on a miss);
// struct keys and values are passed by address (structs.ts).
import type * as A from "../ast.js";
import { HELPER, MAP_TYPE, isPerCpu } from "../../abi.js";
import { MAPS } from "../catalog.js";
import type { MapDef } from "../../object.js";
import type { Reg, Val } from "../ir.js";
import type { LowerCtx } from "./core.js";
import { lowBits, narrowVal } from "./int.js";
import { type Int, type Local, type MapValPtr, type PlaceVal, U64 } from "./types.js";
import { addressOf, copy, place, zero } from "./structs.js";

type MapResult = Val | Local | undefined;

/** One map method call: the map, its object-level definition and its key/value types. */
interface MapCall {
  L: LowerCtx;
  m: A.MapDecl;
  def: MapDef;
  mt: NonNullable<A.MapDecl["type"]>;
  e: A.CallExpr;
}

/** `m.method(...)`; asPtr: `has` gives the looked-up pointer (a condition tests it). */
export function lowerMapMethod(L: LowerCtx, m: A.MapDecl, method: string, e: A.CallExpr, asPtr = false): MapResult {
  const def = L.shared.maps.get(m.name);
  const mt = m.type;
  if (!def || !mt) return L.fail("internal: unknown map", e.span);
  const c: MapCall = { L, m, def, mt, e };
  switch (method) {
    case "get": {
      const p = lookup(c, keyArg(c, 0));
      if (mt.value.kind === "struct") return valueRef(c, p, mt.value);
      return loadedValue(L, p, mt.value);
    }
    case "has": {
      const p = lookup(c, keyArg(c, 0));
      return asPtr ? { k: "mapval", ptr: p, type: intOf(mt.value) } : L.boolFrom("ne", p, 0n);
    }
    case "set":
      return (set(c), undefined);
    case "delete": {
      const k = keyArg(c, 0);
      const map = L.ldmap(m.name);
      L.emit({ op: "call", helper: HELPER.map_delete_elem, args: [map, storeKey(c, k)], dst: L.reg() });
      return undefined;
    }
    case "add":
      return (mapAdd(c, keyArg(c, 0), valArg(c, 1) as Val), undefined);
    case "output":
      return L.boolFrom("eq", output(c), 0n);
    case "reserve":
      return reserve(c);
    case "submit":
    case "discard": {
      const ptr = addressOf(L, place(L, e.args[0]!));
      const helper = method === "submit" ? HELPER.ringbuf_submit : HELPER.ringbuf_discard;
      L.emit({ op: "call", helper, args: [ptr, 0n], dst: L.reg() });
      return undefined;
    }
  }
  return L.fail(`unsupported method '${method}' on ${MAPS[m.mapClass] ? m.mapClass : "map"}`, e.span);
}

type Arg = Val | PlaceVal;

// integer keys and values are stored with their type's size (the store keeps the low bits); structs are places
const arg = (c: MapCall, i: number, t: Int | A.StructType): Arg =>
  t.kind === "struct" ? place(c.L, c.e.args[i]!) : lowBits(c.L, c.e.args[i]!, t);
const keyArg = (c: MapCall, i: number): Arg => arg(c, i, c.mt.key);
const valArg = (c: MapCall, i: number): Arg => arg(c, i, c.mt.value);
const intOf = (t: Int | A.StructType): Int => (t.kind === "int" ? t : U64);

/** The key in the statement's scratch (LPM trie: { prefixlen, data in network order }); its address. */
function storeKey(c: MapCall, k: Arg): Reg {
  const { L, def, mt } = c;
  if (typeof k === "object" && def.type !== MAP_TYPE.LPM_TRIE) return addressOf(L, k);
  const slot = L.scratch(def.keySize);
  if (typeof k === "object") {
    L.storeInt(slot, BigInt((def.keySize - 4) * 8), 4); // an Ipv6Addr: prefixlen 128, its bytes as they are
    copy(L, { ...k, base: 10, off: slot + 4, atomic: false, nullable: false }, k);
  } else if (def.type === MAP_TYPE.LPM_TRIE) {
    const bits = intOf(mt.key).bits;
    L.storeInt(slot, BigInt(bits), 4);
    const net = L.swapVal(k, bits);
    L.storeInt(slot + 4, net, bits / 8);
  } else L.storeInt(slot, k, def.keySize);
  return L.frame(slot);
}

/** `M.get(k)` of a struct value: the value's place in the map (null on a miss). */
function valueRef(c: MapCall, ptr: Reg, type: A.StructType): PlaceVal {
  return { k: "place", type, base: ptr, off: 0, atomic: !isPerCpu(c.def.type), nullable: true };
}

/** bpf_map_lookup_elem: the value's address, or 0. */
function lookup(c: MapCall, k: Arg): Reg {
  const map = c.L.ldmap(c.m.name);
  const kp = storeKey(c, k);
  const r = c.L.reg();
  c.L.emit({ op: "call", helper: HELPER.map_lookup_elem, args: [map, kp], dst: r });
  return r;
}

/** bpf_map_update_elem(map, key, value, flags). */
function update(c: MapCall, k: Arg, v: Arg, flags: bigint): void {
  const { L, def } = c;
  const map = L.ldmap(c.m.name);
  const kp = storeKey(c, k);
  let vp: Reg;
  if (typeof v === "object") vp = addressOf(L, v);
  else {
    const vs = L.scratch(def.valueSize);
    L.storeInt(vs, v, def.valueSize);
    vp = L.frame(vs);
  }
  L.emit({ op: "call", helper: HELPER.map_update_elem, args: [map, kp, vp, flags], dst: L.reg() });
}

function set(c: MapCall): void {
  const k = keyArg(c, 0),
    v = valArg(c, 1);
  update(c, k, v, 0n);
}

/** bpf_ringbuf_output of one value: its result (0, or a negative errno when the ring is full). */
function output(c: MapCall): Reg {
  const L = c.L;
  const v = valArg(c, 0);
  const size = c.mt.value.kind === "struct" ? c.mt.value.size : c.mt.value.bits / 8;
  let ptr: Reg;
  if (typeof v === "object") ptr = addressOf(L, v);
  else {
    const vs = L.scratch(size);
    L.storeInt(vs, v, size);
    ptr = L.frame(vs);
  }
  const res = L.reg();
  L.emit({ op: "call", helper: HELPER.ringbuf_output, args: [L.ldmap(c.m.name), ptr, BigInt(size), 0n], dst: res });
  return res;
}

/** bpf_ringbuf_reserve of one record of the ring's struct type: its place in the ring, zeroed (so no
 * field holds what the ring held before), or null. */
function reserve(c: MapCall): PlaceVal {
  const { L, mt } = c;
  const type = mt.value as A.StructType;
  const ptr = L.reg();
  L.emit({ op: "call", helper: HELPER.ringbuf_reserve, args: [L.ldmap(c.m.name), BigInt(type.size), 0n], dst: ptr });
  const p: PlaceVal = { k: "place", type, base: ptr, off: 0, atomic: false, nullable: true };
  const hit = L.newBlock(),
    join = L.newBlock();
  L.branch("ne", ptr, 0n, hit, join);
  L.start(hit);
  zero(L, p, 0, type.size);
  L.jump(join);
  L.start(join);
  return p;
}

/** The value a map value pointer points to (the one read at the call, for `get`). */
export function loadMapVal(L: LowerCtx, l: MapValPtr): Val {
  if (l.val !== undefined) return l.val;
  const d = L.load(l.ptr, 0, l.type.bits / 8);
  return l.type.signed ? narrowVal(L, d, l.type) : d;
}

/** `M.get(k)` is a value, read at the call (a later set/delete must not change it): `val` holds it
 * when `ptr` is not null (0 otherwise); `ptr` stays for the null check. */
function loadedValue(L: LowerCtx, ptr: Reg, type: A.IntType): MapValPtr {
  const val = L.reg();
  L.emit({ op: "mov", dst: val, src: 0n });
  const hit = L.newBlock(),
    join = L.newBlock();
  L.branch("ne", ptr, 0n, hit, join);
  L.start(hit);
  L.emit({ op: "mov", dst: val, src: loadMapVal(L, { k: "mapval", ptr, type }) });
  L.jump(join);
  L.start(join);
  return { k: "mapval", ptr, type, val };
}

/** `M.add(k, d)`: an atomic += on the value when the key is present; hash maps insert d when absent. */
function mapAdd(c: MapCall, k: Arg, delta: Val): void {
  const { L, def } = c;
  const p = lookup(c, k);
  const hit = L.newBlock(),
    miss = L.newBlock(),
    join = L.newBlock();
  L.branch("ne", p, 0n, hit, miss);
  L.start(hit);
  addInPlace(L, p, def.valueSize, delta);
  L.jump(join);
  L.start(miss);
  // hash maps: insert delta when the key is absent (BPF_NOEXIST; a racing insert wins)
  if (def.type !== 2 && def.type !== 6) update(c, k, delta, 1n);
  L.jump(join);
  L.start(join);
}

/** *p += delta: `lock +=` on 4- and 8-byte values. */
function addInPlace(L: LowerCtx, p: Reg, size: number, delta: Val): void {
  if (size === 4 || size === 8) {
    const d = L.reg();
    L.emit({ op: "mov", dst: d, src: delta });
    L.emit({ op: "xadd", base: p, off: 0, src: d, size });
  } else {
    const t = L.alu("add", L.load(p, 0, size), delta, true);
    L.emit({ op: "store", base: p, off: 0, src: t, size: size as 1 | 2 });
  }
}

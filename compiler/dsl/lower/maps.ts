// Lowering of map method calls (get/set/delete/has/add/output): takes a checked method call and
// emits IR for the map helpers (lookup 1, update 2, delete 3, ringbuf_output 130). Keys and values
// go to the statement's stack scratch; LPM trie keys are { prefixlen: u32, data } with data in
// network order; `add` is an atomic `lock +=` on 4- and 8-byte values; `get` loads the value at
// the call.
import type * as A from "../ast.js";
import { MAPS } from "../catalog.js";
import type { MapDef } from "../../object.js";
import type { Reg, Val } from "../ir.js";
import { type Local, type Lowerer, type MapValPtr } from "./lower.js";
import { lowBits } from "./int.js";

export function lowerMapMethod(L: Lowerer, m: A.MapDecl, method: string, e: A.CallExpr, asPtr = false): Val | Local | undefined {
  const def = L.shared.maps.get(m.name);
  const mt = m.type;
  if (!def || !mt) return L.fail("internal: unknown map", e.span);
  const cls = MAPS[m.mapClass];
  const isLpm = def.type === 11;
  // keys and values are stored with their type's size: the store keeps the low bits
  const keyArg = (i: number): Val => lowBits(L, e.args[i]!, mt.key);
  const valArg = (i: number): Val => lowBits(L, e.args[i]!, mt.value);
  const storeKey = (k: Val): Reg => {
    const slot = L.scratch(def.keySize);
    if (isLpm) {
      L.storeInt(slot, BigInt(mt.key.bits), 4);
      const net = L.swapVal(k, mt.key.bits);
      L.storeInt(slot + 4, net, mt.key.bits / 8);
    } else L.storeInt(slot, k, def.keySize);
    return L.frame(slot);
  };
  const lookup = (k: Val): Reg => {
    const map = L.ldmap(m.name);
    const kp = storeKey(k);
    const r = L.reg();
    L.emit({ op: "call", helper: 1, args: [map, kp], dst: r });
    return r;
  };
  switch (method) {
    case "get": return loadedValue(L, lookup(keyArg(0)), mt.value);
    case "has": {
      const p = lookup(keyArg(0));
      return asPtr ? { k: "mapval", ptr: p, type: mt.value } : L.boolFrom("ne", p, 0n);
    }
    case "set": {
      const k = keyArg(0), v = valArg(1);
      const map = L.ldmap(m.name);
      const kp = storeKey(k);
      const vs = L.scratch(def.valueSize);
      L.storeInt(vs, v, def.valueSize);
      L.emit({ op: "call", helper: 2, args: [map, kp, L.frame(vs), 0n], dst: L.reg() });
      return undefined;
    }
    case "delete": {
      const k = keyArg(0);
      const map = L.ldmap(m.name);
      L.emit({ op: "call", helper: 3, args: [map, storeKey(k)], dst: L.reg() });
      return undefined;
    }
    case "add": return mapAdd(L, m, def, keyArg(0), valArg(1), lookup, storeKey), undefined;
    case "output": {
      const v = valArg(0);
      const vs = L.scratch(def.valueSize || mt.value.bits / 8);
      const size = mt.value.bits / 8;
      L.storeInt(vs, v, size);
      L.emit({ op: "call", helper: 130, args: [L.ldmap(m.name), L.frame(vs), BigInt(size), 0n], dst: L.reg() });
      return undefined;
    }
  }
  return L.fail(`unsupported method '${method}' on ${cls ? m.mapClass : "map"}`, e.span);
}

/** `M.get(k)` is a value, read at the call (a later set/delete must not change it): `val` holds it
 * when `ptr` is not null (0 otherwise); `ptr` stays for the null check. */
function loadedValue(L: Lowerer, ptr: Reg, type: A.IntType): MapValPtr {
  const val = L.reg();
  L.emit({ op: "mov", dst: val, src: 0n });
  const hit = L.newBlock(), join = L.newBlock();
  L.branch("ne", ptr, 0n, hit, join);
  L.start(hit);
  L.emit({ op: "mov", dst: val, src: L.loadMapVal({ k: "mapval", ptr, type }) });
  L.jump(join);
  L.start(join);
  return { k: "mapval", ptr, type, val };
}

function mapAdd(L: Lowerer, m: A.MapDecl, def: MapDef, k: Val, delta: Val, lookup: (k: Val) => Reg, storeKey: (k: Val) => Reg): void {
  const p = lookup(k);
  const hit = L.newBlock(), miss = L.newBlock(), join = L.newBlock();
  L.branch("ne", p, 0n, hit, miss);
  L.start(hit);
  const size = def.valueSize;
  if (size === 4 || size === 8) {
    const d = L.reg();
    L.emit({ op: "mov", dst: d, src: delta });
    L.emit({ op: "xadd", base: p, off: 0, src: d, size });
  } else {
    const t = L.alu("add", L.load(p, 0, size), delta, true);
    L.emit({ op: "store", base: p, off: 0, src: t, size: size as 1 | 2 });
  }
  L.jump(join);
  L.start(miss);
  if (def.type !== 2 && def.type !== 6) {
    // hash maps: insert delta when the key is absent (BPF_NOEXIST; a racing insert wins)
    const map = L.ldmap(m.name);
    const kp = storeKey(k);
    const vs = L.scratch(def.valueSize);
    L.storeInt(vs, delta, def.valueSize);
    L.emit({ op: "call", helper: 2, args: [map, kp, L.frame(vs), 1n], dst: L.reg() });
  }
  L.jump(join);
  L.start(join);
}

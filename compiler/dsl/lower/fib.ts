// Lowering of fibLookup(ctx, params, flags): takes the checked call and a LowerCtx and emits
// bpf_fib_lookup(ctx, &p, 64, flags) over a struct bpf_fib_lookup on the stack — the literal's
// fields stored in the kernel's byte order, every other byte zeroed (the helper reads them all) —
// then stores the code after it: the FibResult place it produces (its MACs are read where the helper
// wrote them, structs.ts).
import type * as A from "../ast.js";
import { FIB_LOOKUP_SIZE, HELPER } from "../../abi.js";
import { INT_TYPES, IPV6_ADDR } from "../catalog.js";
import { FIB_PARAMS, FIB_RESULT, fibOffset } from "../fib-defs.js";
import type { LowerCtx } from "./core.js";
import { lowBits, narrowTo } from "./int.js";
import { copy, headerAddr, place, stackPlace } from "./structs.js";
import { type PlaceVal, U32 } from "./types.js";

export function lowerFibLookup(L: LowerCtx, e: A.CallExpr): PlaceVal {
  const [, params, flags] = e.args as [A.Expr, A.ObjectLiteral, A.Expr];
  const out = stackPlace(L, FIB_RESULT);
  const slot = out.off; // struct bpf_fib_lookup, then FibResult's ret, smac and dmac
  const written = new Uint8Array(FIB_LOOKUP_SIZE);
  for (const p of params.props) {
    const f = FIB_PARAMS[p.name]!;
    const off = fibOffset(f.member);
    if (f.type === "Ipv6Addr") {
      const dst: PlaceVal = { k: "place", type: IPV6_ADDR, base: 10, off: slot + off, atomic: false };
      const v = p.value;
      if (v.kind === "MemberExpr" && v.member?.kind === "headerAddr") headerAddr(L, v, v.member.offset, dst);
      else copy(L, dst, place(L, v));
      written.fill(1, off, off + 16);
      continue;
    }
    const t = INT_TYPES[f.type];
    const v = lowBits(L, p.value, t);
    const size = (t.bits / 8) as 1 | 2 | 4;
    L.emit({ op: "store", base: 10, off: slot + off, src: f.net ? L.swapVal(v, t.bits) : v, size });
    written.fill(1, off, off + size);
  }
  zeroRest(L, slot, written);
  const dst = L.reg();
  const args = [L.f.ctx, L.frame(slot), BigInt(FIB_LOOKUP_SIZE), narrowTo(L, flags, U32)];
  L.emit({ op: "call", helper: HELPER.fib_lookup, args, dst });
  const ret = out.off + FIB_RESULT.fields.find((f) => f.name === "ret")!.offset;
  L.emit({ op: "store", base: 10, off: ret, src: dst, size: 4 });
  return out;
}

/** Zero the bytes no field wrote, in the widest aligned stores. */
function zeroRest(L: LowerCtx, slot: number, written: Uint8Array): void {
  for (let at = 0; at < written.length; ) {
    if (written[at]) {
      at++;
      continue;
    }
    const n = ([8, 4, 2, 1] as const).find((k) => at % k === 0 && !written.subarray(at, at + k).some((b) => b))!;
    L.emit({ op: "store", base: 10, off: slot + at, src: 0n, size: n });
    at += n;
  }
}

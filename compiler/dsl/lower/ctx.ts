// The ctx intrinsics: takes a checked `ctx.header(T, off)`, `ctx.adjustHead(d)`/`adjustTail(d)`
// call, `ctx.length` or an xdp_md field (`ctx.ingressIfindex`) and a LowerCtx; produces a header
// view (no code for a constant offset: the view's null test is its bounds check, header.ts), the
// helper's i32 result (after which every view is stale and data/data_end are reloaded), the
// packet length, or the field's u32; packet loads and stores at any offset are packet-bytes.ts's.
import type * as A from "../ast.js";
import { HELPER } from "../../abi.js";
import { HEADERS } from "../catalog.js";
import type { Val } from "../ir.js";
import type { LowerCtx } from "./core.js";
import { narrowTo, narrowVal } from "./int.js";
import { clampOffset } from "./header.js";
import { packetAccess } from "./packet-bytes.js";
import { type HeaderVal, I32, type Local, U32 } from "./types.js";

export function ctxMethod(L: LowerCtx, method: string, e: A.CallExpr): Val | Local {
  if (method === "header") return header(L, e);
  const bytes = packetAccess(L, method, e);
  if (bytes !== undefined) return bytes;
  if (method === "adjustHead" || method === "adjustTail") {
    const delta = e.args[0] ? narrowTo(L, e.args[0], I32) : 0n;
    const dst = L.reg();
    L.emit({ op: "call", helper: method === "adjustHead" ? 44 : 65, args: [L.f.ctx, delta], dst });
    L.invalidatePacket();
    return narrowVal(L, dst, I32);
  }
  return L.fail(`unsupported ctx method '${method}'`, e.span);
}

/** `ctx.length`: bpf_xdp_get_buff_len (188); data_end - data would be pointer arithmetic,
 * refused without CAP_PERFMON. */
export function ctxLength(L: LowerCtx): Val {
  const len = L.reg();
  L.emit({ op: "call", helper: HELPER.xdp_get_buff_len, args: [L.f.ctx], dst: len });
  return narrowVal(L, len, U32);
}

/** `ctx.ingressIfindex`, `ctx.rxQueueIndex`: a 4-byte load of the xdp_md field (zero-extended). */
export function ctxField(L: LowerCtx, offset: number): Val {
  return L.load(L.f.ctx, offset, 4);
}

function header(L: LowerCtx, e: A.CallExpr): HeaderVal {
  const hname = e.args[0]?.kind === "Identifier" ? e.args[0].name : undefined;
  const h = hname ? HEADERS[hname] : undefined;
  if (!h || !hname) return L.fail("ctx.header needs a header type such as EthHdr", e.args[0]?.span ?? e.span);
  const offExpr = e.args[1];
  const off = offExpr ? narrowTo(L, offExpr, U32) : 0n;
  if (L.data < 0) L.fail("internal: packet pointers not loaded", e.span);
  if (typeof off === "bigint") {
    if (off > 0xffffn) L.fail("header offset is beyond any packet (> 65535)", offExpr?.span);
    const epoch = L.facts.epoch;
    return { k: "hdr", header: hname, base: L.data, off: Number(off), size: h.size, epoch, varBase: false };
  }
  const base = L.alu("add", L.data, clampOffset(L, off), false);
  return { k: "hdr", header: hname, base, off: 0, size: h.size, epoch: L.facts.epoch, varBase: true };
}

// Functions that take a map: takes a checked redirectMap(map, key, flags) call (catalog
// MAP_FUNCTIONS) or tailCall(ctx, map, index) and emits the helper call — bpf_redirect_map(map, key,
// flags), whose result is the XdpAction to return, or bpf_tail_call, which returns only on failure.
import type * as A from "../ast.js";
import { HELPER } from "../../abi.js";
import type { Val } from "../ir.js";
import type { LowerCtx } from "./core.js";
import { narrowTo, narrowVal } from "./int.js";
import { U32 } from "./types.js";
import { INT_TYPES } from "../catalog.js";

export function lowerMapFunction(L: LowerCtx, name: string, map: A.MapDecl, e: A.CallExpr): Val | undefined {
  if (name === "redirectMap") {
    const key = narrowTo(L, e.args[1]!, U32);
    const flags = narrowTo(L, e.args[2]!, INT_TYPES.u64);
    const dst = L.reg();
    L.emit({ op: "call", helper: HELPER.redirect_map, args: [L.ldmap(map.name), key, flags], dst });
    return narrowVal(L, dst, U32);
  }
  if (name === "tailCall") {
    const index = narrowTo(L, e.args[2]!, U32);
    L.emit({ op: "call", helper: HELPER.tail_call, args: [L.f.ctx, L.ldmap(map.name), index], dst: L.reg() });
    return undefined;
  }
  return L.fail(`unsupported map function '${name}'`, e.span);
}

// Internet checksum intrinsics: takes the lowered arguments of csumDiff, csumFold, csumReplace2 and
// csumReplace4 (host-order values, as header fields read) and emits IR: bpf_csum_diff over the two
// values stored on the stack, or the one's complement arithmetic of the kernel's csum_fold and
// csum_replace2/4 (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')), inline with no helper call.
import { HELPER } from "../../abi.js";
import type { Span } from "../../span.js";
import type { Val } from "../ir.js";
import type { LowerCtx } from "./core.js";
import { narrowVal } from "./int.js";
import { U32 } from "./types.js";

/** bpf_csum_diff(&from, 4, &to, 4, seed). The values are stored as host-order u32s, which the
 * kernel sums as host-order 16-bit words, so the partial sum is in the same order as the fields. */
export function csumDiff(L: LowerCtx, [from, to, seed]: Val[]): Val {
  const slot = L.scratch(8);
  L.storeInt(slot, from!, 4);
  L.storeInt(slot + 4, to!, 4);
  const dst = L.reg();
  L.emit({ op: "call", helper: HELPER.csum_diff, args: [L.frame(slot), 4n, L.frame(slot + 4), 4n, seed!], dst });
  return narrowVal(L, dst, U32);
}

export function inlineCsum(L: LowerCtx, name: string, args: Val[], span: Span): Val {
  const [a, b, c] = args as [Val, Val, Val];
  const inv = (v: Val) => L.alu("xor", v, 0xffffn, false);
  const halves = (v: Val): Val[] => [L.alu("rsh", v, 16n, false), L.alu("and", v, 0xffffn, false)];
  switch (name) {
    case "csumFold":
      return inv(fold(L, fold(L, a)));
    case "csumReplace2":
      return inv(fold(L, fold(L, sum(L, [inv(a), inv(b), c]))));
    case "csumReplace4":
      return inv(fold(L, fold(L, sum(L, [inv(a), ...halves(b).map(inv), ...halves(c)]))));
  }
  return L.fail(`unknown helper '${name}'`, span);
}

/** (v & 0xffff) + (v >> 16): one end-around carry step of a non-negative sum below 2^32. */
function fold(L: LowerCtx, v: Val): Val {
  return L.alu("add", L.alu("and", v, 0xffffn, false), L.alu("rsh", v, 16n, false), false);
}

function sum(L: LowerCtx, vs: Val[]): Val {
  return vs.reduce((acc, v) => L.alu("add", acc, v, false));
}

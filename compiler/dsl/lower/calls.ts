// Lowering of calls: takes a checked call expression and a LowerCtx and dispatches on its resolved
// callee: log calls (logs.ts), map methods (maps.ts), ctx methods (ctx.ts), BPF helpers (here),
// and the program's own functions: inlined here (arguments bound to fresh locals, `return` a jump
// to the call's join block), or, for those LowerShared.called names, a BPF-to-BPF call (integers
// by value, structs by address, ctx as itself). A struct result is copied into a stack slot of
// the caller (such functions are always inlined). Produces an integer value, an object, or undefined (void).
import type * as A from "../ast.js";
import { FIB_LOOKUP, HELPERS, INT_TYPES } from "../catalog.js";
import type { Val } from "../ir.js";
import type { LowerCtx } from "./core.js";
import { HELPER } from "../../abi.js";
import { csumDiff, inlineCsum } from "./csum.js";
import { ctxMethod } from "./ctx.js";
import { lowerFibLookup } from "./fib.js";
import { narrowTo, narrowVal } from "./int.js";
import { lowerLog } from "./logs.js";
import { lowerMapFunction } from "./map-fns.js";
import { lowerMapMethod } from "./maps.js";
import { addressOf, stackPlace } from "./structs.js";
import { checkedView } from "./header.js";
import { type HeaderVal, intOf, isIntLike, type IntLocal, type Local, type PlaceVal, U32 } from "./types.js";

/** Lower a call; returns an integer value, an object (header/map value), or undefined (void). */
export function call(L: LowerCtx, e: A.CallExpr): Val | Local | undefined {
  const c = e.callee;
  if (!c) return L.fail("internal: unresolved call", e.span);
  switch (c.kind) {
    case "log":
      lowerLog(L, c, e.span);
      return undefined;
    case "format":
      return L.fail(`${c.format}() is only valid inside a log message`, e.span);
    case "function":
      return L.shared.called?.has(c.decl) ? subprogramCall(L, c.decl, e) : inline(L, c.decl, e);
    case "helper":
      return c.name === FIB_LOOKUP ? lowerFibLookup(L, e) : helper(L, c.name, e);
    case "mapMethod":
      return lowerMapMethod(L, c.map, c.method, e);
    case "mapFunction":
      return lowerMapFunction(L, c.name, c.map, e);
    case "ctxMethod":
      return ctxMethod(L, c.method, e);
  }
}

function inline(L: LowerCtx, fn: A.FunctionDecl, e: A.CallExpr): Val | PlaceVal | undefined {
  const args = e.args.map((a, i) => argument(L, fn.params[i]?.type ?? a.type, a));
  const rt = fn.returnType;
  const retType = isIntLike(rt) ? intOf(rt) : undefined;
  const place = rt?.kind === "struct" ? stackPlace(L, rt) : undefined; // the caller's slot for the result
  const join = L.newBlock();
  const saved = L.ret,
    jumps = L.jumps;
  L.ret = { reg: L.reg(), type: retType, join: join.id, place };
  L.jumps = [];
  const result = L.ret.reg;
  L.pushFrame(fn, args);
  let locals: Local[];
  try {
    L.stmt(fn.body);
    L.jump(join);
  } finally {
    locals = L.popFrame();
    L.ret = saved;
    L.jumps = jumps;
  }
  L.start(join);
  L.facts.forget(locals);
  return place ?? (retType ? result : undefined);
}

/** `call fn`: arguments in r1..r5, the result in r0. Struct arguments are addresses (the callee
 * may write through them), so loaded packet and field values are forgotten after the call. */
function subprogramCall(L: LowerCtx, fn: A.FunctionDecl, e: A.CallExpr): Val | undefined {
  const args = e.args.map((a, i): Val => {
    const pt = fn.params[i]?.type;
    if (isIntLike(pt)) return narrowTo(L, a, intOf(pt));
    const o = L.object(a);
    if (o.k === "ctx") return L.f.ctx;
    if (o.k === "hdr") return viewAddress(L, checkedView(L, o, a.span));
    if (o.k !== "place") return L.fail(`internal: cannot pass a ${o.k} to '${fn.name}'`, a.span);
    if (o.atomic) L.shared.called!.get(fn)!.atomic[i] = true; // its op= are atomic in the callee
    return addressOf(L, o);
  });
  const rt = fn.returnType;
  const dst = isIntLike(rt) ? L.reg() : undefined;
  L.emit({ op: "call", helper: 0, func: fn.name, args, dst });
  L.facts.forgetLoads();
  // the verifier knows nothing of a global function's result: narrowed again to its type here
  return dst !== undefined && fn.role === "global" ? narrowVal(L, dst, intOf(rt)) : dst;
}

/** The packet pointer to a view's first byte (the verifier knows its checked range in the caller). */
function viewAddress(L: LowerCtx, h: HeaderVal): Val {
  return h.off === 0 ? h.base : L.alu("add", h.base, BigInt(h.off), false);
}

/** An inlined function's parameter of type pt bound to the argument a. */
function argument(L: LowerCtx, pt: A.Type | undefined, a: A.Expr): Local {
  if (!isIntLike(pt)) {
    const o = L.object(a);
    return o.k === "hdr" ? checkedView(L, o, a.span) : o;
  }
  const ty = intOf(pt);
  const reg = L.reg();
  const v = narrowTo(L, a, ty);
  L.emit({ op: "mov", dst: reg, src: v });
  const l: IntLocal = { k: "int", reg, type: ty, mutable: true };
  L.facts.assigned(l, v);
  return l;
}

function helper(L: LowerCtx, name: string, e: A.CallExpr): Val {
  const h = HELPERS[name];
  if (!h) return L.fail(`unknown helper '${name}'`, e.span);
  const args = e.args.map((a, i) => narrowTo(L, a, INT_TYPES[h.params[i] ?? "u64"]));
  if (h.bpfHelper === undefined) return inlineCsum(L, name, args, e.span);
  if (h.bpfHelper === HELPER.redirect) args.push(0n); // bpf_redirect(ifindex, flags)
  if (h.bpfHelper === HELPER.csum_diff) return csumDiff(L, args);
  const dst = L.reg();
  L.emit({ op: "call", helper: h.bpfHelper, args, dst });
  if (h.returns === "u32" || h.returns === "action") return narrowVal(L, dst, U32);
  return dst;
}

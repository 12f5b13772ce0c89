// fibLookup(ctx, params, flags) in the checker: takes the call and produces its type (FibResult)
// with its callee resolved, after checking the arguments: ctx, an object literal of FibParams
// fields (family and ifindex given, each other field at most once and not two members of one of
// the kernel struct's unions) and u32 flags. Diagnostics TS2554, TS2322, TS2353, TS2741, TSB9070.
import type * as A from "../ast.js";
import { FIB_LOOKUP, INT_TYPES } from "../catalog.js";
import { FIB_PARAMS, FIB_PARAM_TYPE, FIB_RESULT } from "../fib-defs.js";
import { ERROR, isError, typeName } from "./types.js";
import { type CheckCtx, checkStore, fail, report } from "./context.js";
import { checkExpr, checkValue } from "./expr.js";

export function fibLookupCall(cx: CheckCtx, e: A.CallExpr): A.Type {
  const [ctx, params, flags, ...extra] = e.args;
  if (ctx) {
    const ct = checkValue(cx, ctx);
    if (!isError(ct) && ct.kind !== "ctx")
      report(
        cx,
        "notAssignable",
        `Argument of type '${typeName(ct)}' is not assignable to parameter of type 'XdpContext' (in a call to '${FIB_LOOKUP}').`,
        ctx.span,
      );
  }
  if (params) fibParams(cx, params);
  if (flags) checkStore(cx, flags, checkValue(cx, flags, INT_TYPES.u32), INT_TYPES.u32);
  for (const a of extra) checkExpr(cx, a);
  if (e.args.length !== 3) return fail(cx, "argCount", `Expected 3 arguments, but got ${e.args.length}.`, e);
  e.callee = { kind: "helper", name: FIB_LOOKUP };
  return FIB_RESULT;
}

/** The params argument: an object literal whose fields fill struct bpf_fib_lookup. */
function fibParams(cx: CheckCtx, e: A.Expr): void {
  if (e.kind !== "ObjectLiteral") {
    checkExpr(cx, e);
    report(
      cx,
      "fibParams",
      `The parameters of ${FIB_LOOKUP}() must be an object literal, e.g. { family: AF_INET, ifindex: ctx.ingressIfindex, ipv4Dst: ip.dstAddr }.`,
      e.span,
    );
    return;
  }
  e.type = ERROR; // not a value of the DSL: the lowering writes each field into the kernel struct
  const byMember = new Map<string, string>();
  for (const p of e.props) {
    const f = FIB_PARAMS[p.name];
    if (!f) {
      checkExpr(cx, p.value);
      report(
        cx,
        "unknownProperty",
        `Object literal may only specify known properties, and '${p.name}' does not exist in type 'FibParams'.`,
        p.nameSpan,
      );
      continue;
    }
    const want = FIB_PARAM_TYPE(f.type);
    checkStore(cx, p.value, checkValue(cx, p.value, want), want);
    const other = byMember.get(f.member);
    if (other === p.name)
      report(cx, "objectLiteral", "An object literal cannot have multiple properties with the same name.", p.nameSpan);
    else if (other)
      report(
        cx,
        "fibParams",
        `'${p.name}' and '${other}' share the bytes of ${f.member} in struct bpf_fib_lookup: give one of them.`,
        p.nameSpan,
      );
    byMember.set(f.member, p.name);
  }
  const given = new Set(e.props.map((p) => p.name));
  const missing = Object.keys(FIB_PARAMS).filter((n) => FIB_PARAMS[n]!.required && !given.has(n));
  if (missing.length)
    report(
      cx,
      "missingProperty",
      `${missing.length > 1 ? `Properties ${missing.map((m) => `'${m}'`).join(", ")} are` : `Property '${missing[0]}' is`} ` +
        "missing in the object literal but required in type 'FibParams'.",
      e.span,
    );
}

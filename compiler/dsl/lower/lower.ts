// Lowering, the driver: takes one checked XDP program (ast.ts FunctionDecl after checkProgram) and
// produces an IR Func (ir.ts) over virtual registers. It wires the modules together through the
// core (core.ts): statements (stmts.ts), expressions (exprs.ts), conditions (conds.ts), which
// reach the intrinsics (calls.ts → ctx.ts, header.ts, maps.ts, logs.ts) and the integer rule
// (int.ts); none of them imports this file. Integer values follow int-rule.ts: 64-bit values,
// narrowed where they are stored. Helper functions are inlined, or (those in LowerShared.called)
// lowered on their own as BPF subprograms (lowerSubprogram) and called; loops are unrolled or real
// loops (control.ts, by ../unroll.ts's rule). Header reads are only accepted where a bounds check dominates them.
import type * as A from "../ast.js";
import type { Func, Reg } from "../ir.js";
import { cond } from "./conds.js";
import { LowerCore, type Lowering } from "./core.js";
import { object, value } from "./exprs.js";
import { stmt } from "./stmts.js";
import { HEADERS } from "../catalog.js";
import { type HeaderVal, intOf, isIntLike, type Local, type LowerShared } from "./types.js";

export { LowerError, type LowerShared } from "./types.js";

const LOWERING: Lowering = { value, object, cond, stmt };

export class Lowerer {
  private readonly L: LowerCore;

  constructor(
    readonly prog: A.FunctionDecl,
    shared: LowerShared,
  ) {
    this.L = new LowerCore(prog, shared, LOWERING);
  }

  lowerProgram(): Func {
    const L = this.L;
    const ctx = L.reg();
    L.f.ctx = ctx;
    L.emit({ op: "mov", dst: ctx, src: 1 });
    L.pushFrame(this.prog, [{ k: "ctx" }]);
    if (usesPacket(this.prog.body)) L.loadPacket();
    L.stmt(this.prog.body); // falling off the end returns 0 (XDP_ABORTED); the checker requires a return
    return L.f;
  }

  /** A helper function as a BPF subprogram: its parameters arrive in r1..r5 (integers by value,
   * structs, header views and ctx as pointers), its result leaves in r0. A global function's struct
   * and view pointers may be NULL to the verifier (it checks the function on its own): they are
   * tested first, and a NULL one returns 0. */
  lowerSubprogram(): Func {
    const L = this.L;
    const fn = this.prog;
    const args = fn.params.map((p, i): Local => {
      const reg = L.reg();
      L.emit({ op: "mov", dst: reg, src: i + 1 });
      if (p.type?.kind === "ctx") {
        L.f.ctx = reg;
        return { k: "ctx" };
      }
      if (isIntLike(p.type)) return { k: "int", reg, type: intOf(p.type), mutable: true };
      if (p.type?.kind === "header") return paramView(L, p.type.header, reg);
      const atomic = L.shared.called?.get(fn)?.atomic[i] ?? false;
      return { k: "place", type: p.type as A.DataType, base: reg, off: 0, atomic };
    });
    if (fn.role === "global") nullTests(L, args);
    L.pushFrame(fn, args);
    if (fn.params.some((p) => p.type?.kind === "ctx") && usesPacket(fn.body)) L.loadPacket();
    L.stmt(fn.body); // a void function returns 0 (the verifier reads r0 at every exit)
    return L.f;
  }
}

/** `if (p == NULL) return 0` for each pointer parameter but ctx (a global function's). */
function nullTests(L: LowerCore, args: Local[]): void {
  for (const a of args) {
    const reg = a.k === "hdr" ? a.base : a.k === "place" ? a.base : undefined;
    if (reg === undefined) continue;
    const isNull = L.newBlock(),
      ok = L.newBlock();
    L.branch("eq", reg, 0n, isNull, ok);
    L.start(isNull);
    L.returnWith(0n);
    L.start(ok);
  }
}

/** A header view parameter: the caller proved its bytes (the kernel checks a static function's packet
 * pointers in the caller's context, a global function's as memory of the header's size). */
function paramView(L: LowerCore, header: string, base: Reg): HeaderVal {
  const view: HeaderVal = {
    k: "hdr",
    header,
    base,
    off: 0,
    size: HEADERS[header]!.size,
    epoch: L.facts.epoch,
    varBase: true,
  };
  L.facts.assumeChecked(view);
  return view;
}

/** Whether a function body (or a helper it calls) touches packet data. */
function usesPacket(n: unknown, seen = new Set<unknown>()): boolean {
  if (!n || typeof n !== "object" || seen.has(n)) return false;
  seen.add(n);
  const o = n as { kind?: string; callee?: A.CallTarget; member?: A.MemberTarget };
  if (o.kind === "CallExpr" && o.callee?.kind === "ctxMethod") return true;
  if (o.kind === "MemberExpr" && o.member?.kind === "ctxLength") return true;
  if (o.kind === "CallExpr" && o.callee?.kind === "function" && usesPacket(o.callee.decl.body, seen)) return true;
  for (const [k, v] of Object.entries(n)) {
    if (k === "binding" || k === "callee" || k === "type") continue;
    if (v && typeof v === "object" && usesPacket(v, seen)) return true;
  }
  return false;
}

// The loop rule: takes a checked loop (for, while, do…while) with its bound (the checker's maxTrips)
// and decides whether the lowering unrolls it or emits a real loop — a back edge the kernel
// verifies as a bounded loop (kernel ≥ 5.3). The rule (README "Loops"):
//   - unrolled when the copies stay within UNROLL_NODES: trips × nodes, the nodes being the
//     statements and expressions of its test, update and body (a called function's too). For now
//     that is every loop: an unrolled body is larger, but the verifier prunes its paths against the
//     other copies' states, while inside a real loop it compares states range for range as long as
//     the loop's first round is being walked, so paths that leave a variable with different bounds
//     (an offset advanced by 1 or by a length read from the packet) stay apart round after round, and
//     the verifier-work estimate (backend/verifier-cost.ts) does not follow ranges. Measured on
//     programs/tcpopts.ts (16 trips): unrolled 748 slots and 28,704 instructions verified, as a real
//     loop 158 slots and 228,738 verified (clang's unrolled twin: 620 and 59,106);
//   - unrolled when the body adjusts the packet (ctx.adjustHead/adjustTail, itself or in a function
//     it calls): every header view is stale after it, so the facts of the loop's head do not hold
//     when it goes round again;
//   - unrolled when its counter does not start at a constant (the verifier follows a counter it
//     knows exactly round by round; from a range it meets a round within the last and refuses the
//     loop as infinite);
//   - for…of is always unrolled (each element at a constant offset: a const array's elements fold);
//   - a real loop otherwise: every loop that may be one when the build asks for real loops
//     (BuildOptions.loops "real", `tsebpf build --loops real`; the differential tests build every
//     other generated program so).
import type * as A from "./ast.js";
import { SKIP } from "./inlining.js";
import { UNROLL_NODES } from "./limits.js";

type Loop = A.For | A.While;

/** Whether the lowering emits `s`, which runs its body at most `trips` times, as a real loop (`always`:
 * wherever it can be one). */
export function realLoop(s: Loop, trips: number, always = false): boolean {
  const parts = [s.kind === "For" ? s.update : undefined, s.test, s.body];
  let nodes = 0,
    adjusts = false;
  walk(parts, (o) => {
    nodes++;
    const c = o.kind === "CallExpr" ? (o as A.CallExpr).callee : undefined;
    if (c?.kind === "ctxMethod" && (c.method === "adjustHead" || c.method === "adjustTail")) adjusts = true;
  });
  return !adjusts && s.test !== undefined && (always || trips * nodes > UNROLL_NODES);
}

/** The integer locals and parameters a loop assigns (declared before it: the body's own are new each time). */
export function assignedNames(s: Loop): Set<A.Binding> {
  const { assigned, own } = names(s);
  for (const b of own) assigned.delete(b);
  return assigned;
}

/** The variables a loop's body declares (also in the functions it calls). */
export function declaredNames(s: Loop): Set<A.Binding> {
  return names(s).own;
}

function names(s: Loop): { assigned: Set<A.Binding>; own: Set<A.Binding> } {
  const assigned = new Set<A.Binding>(),
    own = new Set<A.Binding>();
  walk([s.kind === "For" ? s.update : undefined, s.test, s.body], (o) => {
    if (o.kind === "VarDecl" && (o as A.VarDecl).binding) own.add((o as A.VarDecl).binding!);
    const t = o.kind === "Assign" ? (o as A.Assign).target : undefined;
    if (t?.kind === "Identifier" && (t.binding?.kind === "local" || t.binding?.kind === "param"))
      assigned.add(t.binding);
  });
  return { assigned, own };
}

/** Visit every node of `n` and of the bodies of the functions it calls (once each). */
function walk(n: unknown, visit: (o: { kind: string }) => void, seen = new Set<unknown>()): void {
  if (!n || typeof n !== "object" || seen.has(n)) return;
  seen.add(n);
  if (Array.isArray(n)) return n.forEach((x) => walk(x, visit, seen));
  const o = n as { kind?: string; callee?: A.CallTarget };
  if (o.kind) visit(o as { kind: string });
  if (o.kind === "CallExpr" && o.callee?.kind === "function") walk(o.callee.decl.body, visit, seen);
  for (const [k, v] of Object.entries(n)) if (!SKIP.has(k)) walk(v, visit, seen);
}

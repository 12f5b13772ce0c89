// The loop rule: takes a checked loop (for, while, do…while) with its bound (the checker's maxTrips)
// and the build's loop mode, and decides whether the lowering unrolls it or emits a real loop — a
// back edge the kernel verifies. The rule (README "Loops"):
//   - unrolled when the body adjusts the packet (ctx.adjustHead/adjustTail, itself or in a function
//     it calls): every header view is stale after it, so the facts of the loop's head do not hold
//     when it goes round again;
//   - unrolled when its counter does not start at a constant (lower/control.ts: the verifier follows a
//     counter it knows exactly round by round; from a range it meets a round within the last and
//     refuses the loop as infinite);
//   - for…of is always unrolled (each element at a constant offset: a const array's elements fold);
//   - every loop is unrolled in "unroll" builds (`build --loops unroll`, any kernel);
//   - a real loop otherwise. In "auto" builds (the default) index.ts then builds each function with
//     real loops a second time with its loops unrolled and keeps the unrolled build when it takes no
//     more instruction slots (loops over constants fold away: fixtures/dsl-samples/kitchen-sink.ts 350
//     slots unrolled, 397 with real loops) or when the real loops' build fails.
// A real loop begins with may_goto (kernel ≥ 6.9; lower/control.ts, backend/may-goto.ts) and its
// counter is hidden from the verifier, so the verifier's states converge after a round or two instead
// of being walked round by round, each round's paths apart (inside a loop it compares states range for
// range while the loop is being walked). Measured on Linux 6.18, verified instructions:
//   programs/tcpopts.ts (16 rounds)  unrolled 554 slots / 18,046; bounded loop 115 / 93,047;
//                                    may_goto at the head only: over 1,000,000 (refused);
//                                    may_goto and a hidden counter: 121 / 2,636 (clang's twin 620 / 59,106)
//   a 24-byte sum with break         unrolled 218 / 2,837; bounded 44 / 10,425; may_goto 49 / 145
// Not when the loop steps another local that starts at a constant (`off += 4`): that one stays a
// known constant the verifier makes precise, so no round's state lies within another's — the loop
// keeps its counter and no may_goto (a bounded loop: a VLAN-tag walk, 30 slots / 272 verified,
// unrolled 94 / 194), nor for a counter that counts down, is signed or narrower than 32 bits, nor
// in nested loops (lower/control.ts hideable: the differential generators found such loops that
// do not converge), nor in "bounded" builds (`build --loops bounded`, kernel ≥ 5.3), nor where the
// frame's may_goto budget (MAY_GOTO_BUDGET) would not cover the rounds.
import type * as A from "./ast.js";
import type { LoopMode } from "../build-api.js";
import { SKIP } from "./inlining.js";

type Loop = A.For | A.While;

/** Whether the lowering emits `s` as a real loop in a build whose loops are `mode` ("unroll": never). */
export function realLoop(s: Loop, mode: LoopMode): boolean {
  if (mode === "unroll" || s.test === undefined) return false;
  let adjusts = false;
  walk([s.kind === "For" ? s.update : undefined, s.test, s.body], (o) => {
    const c = o.kind === "CallExpr" ? (o as A.CallExpr).callee : undefined;
    if (c?.kind === "ctxMethod" && (c.method === "adjustHead" || c.method === "adjustTail")) adjusts = true;
  });
  return !adjusts;
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

/** The locals declared before the loop that it steps by a constant (`x += 4`, `x++`, `x = x * 2`): to
 * the verifier such a local stays a known constant that changes every round (the loop test's counter
 * is one of them). */
export function steppedNames(s: Loop): Set<A.Binding> {
  const out = new Set<A.Binding>();
  const own = (e: A.Expr, b: A.Binding): boolean =>
    e.constValue !== undefined ||
    (e.kind === "Identifier" && e.binding === b) ||
    (e.kind === "BinaryExpr" && own(e.left, b) && own(e.right, b));
  walk([s.kind === "For" ? s.update : undefined, s.test, s.body], (o) => {
    if (o.kind !== "Assign") return;
    const a = o as A.Assign,
      b = a.target.kind === "Identifier" ? a.target.binding : undefined;
    if (!b || (b.kind !== "local" && b.kind !== "param")) return;
    if (a.op === "=" ? a.value.kind === "BinaryExpr" && own(a.value, b) : own(a.value, b)) out.add(b);
  });
  const assigned = assignedNames(s);
  for (const b of out) if (!assigned.has(b)) out.delete(b);
  return out;
}

/** Whether `s` counts `counter` up — every assignment to it in the loop adds a positive constant —
 * and has no loop inside it (itself or in a function it calls). */
export function countsUp(s: Loop, counter: A.Binding): boolean {
  let up = true;
  walk([s.kind === "For" ? s.update : undefined, s.test, s.body], (o) => {
    if (o.kind === "For" || o.kind === "While" || o.kind === "ForOf") up = false;
    if (o.kind !== "Assign") return;
    const a = o as A.Assign;
    if (a.target.kind !== "Identifier" || a.target.binding !== counter) return;
    if (a.op !== "+=" || !(a.value.constValue !== undefined && a.value.constValue > 0n)) up = false;
  });
  return up;
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

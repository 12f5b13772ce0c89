// Lowering of control flow statements: takes a checked loop (for, for…of, while, do…while), switch,
// labelled statement or break/continue and a LowerCtx, and emits its IR. A loop the rule of
// ../unroll.ts picks is a real loop, in rotated form: the test once before it (a branch past it, or
// nothing when it folds), the body, the update and the test again, branching back to the body — the
// back edge the kernel verifies as a bounded loop. The head's facts are those of the way in without
// the constants of the locals the loop assigns; at the back edge they must still hold (they do when
// the body does not adjust the packet, which the rule requires). Other loops are unrolled: the body
// once per round while the test does not fold to false, at most the checker's maxTrips times (after
// that the test cannot hold); a test that does not fold is a branch to the loop's exit. break jumps
// to the exit of its target, continue to the end of the current round.
import type * as A from "../ast.js";
import type { JumpTo, LowerCtx } from "./core.js";
import { readAt, place } from "./structs.js";
import { compareConst } from "./int.js";
import { type IntLocal, intOf, isCompare } from "./types.js";
import { MAX_UNROLLED_BODIES, MAY_GOTO_BUDGET } from "../limits.js";
import { CTX_PROPERTIES } from "../catalog.js";
import { VREG0 } from "../ir.js";
import { sizeOf } from "../layout.js";
import { assignedNames, countsUp, declaredNames, realLoop, steppedNames } from "../unroll.js";

const RX_QUEUE_INDEX = CTX_PROPERTIES.rxQueueIndex!.offset!;

type Loop = A.For | A.While | A.ForOf;

export function forStmt(L: LowerCtx, s: A.For, labels: string[]): void {
  if (s.init) L.stmt(s.init);
  if (s.test && real(L, s)) {
    return loop(L, s, labels, s.test, true, () => s.update && L.stmt(s.update));
  }
  unrolled(L, s, labels, s.maxTrips, (_n, t) => {
    if (s.test && !testHolds(L, s.test, t)) return false;
    body(L, s.body, t);
    if (s.update) L.stmt(s.update);
    return true;
  });
}

export function whileStmt(L: LowerCtx, s: A.While, labels: string[]): void {
  if (real(L, s)) return loop(L, s, labels, s.test, !s.isDo);
  unrolled(L, s, labels, s.maxTrips, (n, t) => {
    if ((!s.isDo || n > 0) && !testHolds(L, s.test, t)) return false;
    body(L, s.body, t);
    return true;
  });
}

/** `for (const x of a)`: the body once per element, x bound to the element (a struct: its place). */
export function forOf(L: LowerCtx, s: A.ForOf, labels: string[]): void {
  const arr = place(L, s.iterable);
  const t = arr.type as A.ArrayType;
  const size = sizeOf(t.elem);
  unrolled(L, s, labels, t.length, (i, target) => {
    const at = { ...arr, type: t.elem, off: arr.off + i * size, nullable: false };
    if (t.elem.kind === "struct") L.bind(s.decl.binding, at);
    else {
      const v = readAt(L, at); // a constant for a const global array's element
      if (typeof v === "bigint") L.bind(s.decl.binding, { k: "const", v, type: intOf(t.elem) });
      else {
        const reg = L.reg();
        L.emit({ op: "mov", dst: reg, src: v });
        L.bind(s.decl.binding, { k: "int", reg, type: intOf(t.elem), mutable: false });
      }
    }
    body(L, s.body, target);
    return true;
  });
}

/**
 * A real loop: [test → body | exit] (`guard`), body: the body, then `update` and the test → body | exit.
 * The body's block is where the back edge goes; f.loops records it with the loop's bound.
 */
function loop(L: LowerCtx, s: A.For | A.While, labels: string[], test: A.Expr, guard: boolean, update?: () => void) {
  const t: JumpTo = { stmt: s, labels, loop: true };
  if (guard && constCond(L, test) === false) return; // never runs
  const trips = s.maxTrips!;
  const way = L.newBlock(),
    top = L.newBlock();
  if (guard) L.cond(test, way, (t.brk ??= L.newBlock()));
  else L.jump(way);
  L.start(way);
  const counter = hideable(L, s);
  const mayGoto = counter !== undefined && useMayGoto(L, trips);
  if (mayGoto) hideCounter(L, counter);
  L.jump(top);
  L.start(top);
  (L.f.loops ??= new Map()).set(top.id, trips);
  if (mayGoto) (L.f.mayGoto ??= new Set()).add(top.id);
  const head = L.facts.loopHead(assignedLocals(L, s));
  const around = L.mayGoto.around;
  L.mayGoto.around = Math.min(around * trips, MAY_GOTO_BUDGET + 1);
  body(L, s.body, t);
  if (!L.facts.never) {
    update?.();
    if (!L.facts.loopHolds(head)) L.fail("internal: a loop's facts do not hold when it goes round again", s.span);
    L.cond(test, top, (t.brk ??= L.newBlock()));
  }
  L.mayGoto.around = around;
  L.start(t.brk ?? L.newBlock());
}

/** Whether this real loop begins with a may_goto: not in "bounded" builds, and only while the rounds
 * of every may_goto loop of the frame, each times the rounds of the real loops around it, stay within
 * the kernel's budget (so its goto, which leaves the loop, is never taken). Reserves them. */
function useMayGoto(L: LowerCtx, trips: number): boolean {
  if (L.shared.loops === "bounded") return false;
  const need = L.mayGoto.around * trips;
  if (L.mayGoto.used + need > MAY_GOTO_BUDGET) return false;
  L.mayGoto.used += need;
  return true;
}

/** The loop's counter and its start, when hideCounter can hide it: a `for` loop's unsigned counter of
 * 32 or 64 bits (a signed one, unknown, starts from -2^31 to the verifier) starting at a constant below 2^31 that the loop counts up (a do…while over a u8 counter
 * was found, by the generators, not to converge), in a function that has the context (a program, or a subprogram
 * taking ctx), in a loop with no real loop around it and no loop inside it, and no
 * other local that starts at a constant and that the loop steps by one (it would stay a known
 * constant that changes every round:
 * once a branch on it makes it precise, no round's state lies within another's and the verifier,
 * no longer following the counter, goes round until may_goto's budget). */
function hideable(L: LowerCtx, s: A.For | A.While): { c: IntLocal; v: bigint } | undefined {
  const c = s.counter && L.lookup(s.counter, s.span);
  if (s.kind !== "For" || c?.k !== "int" || !c.mutable || c.type.bits < 32 || c.type.signed || L.f.ctx < VREG0)
    return undefined;
  if (L.mayGoto.around > 1 || !countsUp(s, s.counter!)) return undefined;
  const known = (b: A.Binding): boolean => {
    const l = L.lookup(b, s.span);
    return l.k === "const" || (l.k === "int" && typeof L.facts.known(l) === "bigint");
  };
  if ([...steppedNames(s)].some((b) => b !== s.counter && known(b))) return undefined;
  const v = L.facts.known(c);
  return typeof v === "bigint" && v >= 0n && v < 1n << 31n ? { c, v } : undefined;
}

/**
 * The loop's counter from here on holds its start plus the difference of two loads of
 * xdp_md.rx_queue_index (0, but not to the verifier, which does not fold x − x, also when the
 * optimiser reads the field once): the verifier does not know the counter, so the
 * loop test does not make it precise, may_goto's widening forgets it after the first round and the
 * next round's state lies within it (README "Loops").
 */
function hideCounter(L: LowerCtx, { c, v }: { c: IntLocal; v: bigint }): void {
  const a = L.load(L.f.ctx, RX_QUEUE_INDEX, 4),
    b = L.load(L.f.ctx, RX_QUEUE_INDEX, 4);
  const zero = L.alu("sub", a, b, true);
  L.emit({ op: "alu", alu: "add", dst: c.reg, a: zero, b: v, w32: true });
  L.facts.assigned(c, c.reg);
}

/** Whether `s` is a real loop: the rule says so, and its counter starts at a constant here (the
 * verifier follows it round by round; from a range it finds a round within the last and refuses). */
function real(L: LowerCtx, s: A.For | A.While): boolean {
  if (s.maxTrips === undefined || !realLoop(s, L.shared.loops ?? "auto")) return false;
  const c = s.counter && L.lookup(s.counter, s.span);
  return c?.k === "const" || (c?.k === "int" && typeof L.facts.known(c) === "bigint");
}

/** The integer variables declared before the loop that it assigns, and those of the body's own declarations
 * already bound here (by this loop lowered before, as the body of an unrolled loop): the body binds them anew,
 * so the old ones are out of reach and their constants are no facts of the head. */
function assignedLocals(L: LowerCtx, s: A.For | A.While): IntLocal[] {
  const out: IntLocal[] = [];
  for (const b of assignedNames(s)) {
    const l = L.lookup(b, s.span);
    if (l.k === "int") out.push(l);
  }
  for (const b of declaredNames(s)) {
    const l = L.bound(b);
    if (l?.k === "int") out.push(l);
  }
  return out;
}

/** Rounds of a loop while `round` says the test held, at most `max` (then the test cannot hold). */
function unrolled(L: LowerCtx, s: Loop, labels: string[], max: number | undefined, round: Round): void {
  if (max === undefined) L.fail("internal: loop without a bound", s.span);
  const t: JumpTo = { stmt: s, labels, loop: true };
  for (let n = 0; n < max && !L.facts.never; n++) {
    unrolledOnce(L, s);
    if (!round(n, t)) break;
  }
  exit(L, t);
}
type Round = (n: number, t: JumpTo) => boolean;

/** One round's body; `continue` goes to its end. */
function body(L: LowerCtx, s: A.Stmt, t: JumpTo): void {
  t.cont = undefined;
  L.jumps.push(t);
  L.stmt(s);
  L.jumps.pop();
  if (t.cont) {
    L.jump(t.cont);
    L.start(t.cont);
  }
}

/** The loop test this round: true when the body may run (a test that does not fold branches to the exit). */
function testHolds(L: LowerCtx, test: A.Expr, t: JumpTo): boolean {
  const c = constCond(L, test);
  if (c !== undefined) return c;
  const b = L.newBlock();
  L.cond(test, b, (t.brk ??= L.newBlock()));
  L.start(b);
  return !L.facts.never;
}

/** Where the statement's breaks (if any) meet the way out of it. */
function exit(L: LowerCtx, t: JumpTo): void {
  if (!t.brk) return;
  L.jump(t.brk);
  L.start(t.brk);
}

/** `label: s`: a loop or switch takes the label; any other statement can be left by `break label`. */
export function labelled(L: LowerCtx, s: A.Labelled, outer: string[] = []): void {
  const labels = [...outer, s.label];
  const b = s.body;
  if (b.kind === "Labelled") return labelled(L, b, labels);
  if (b.kind === "For") return forStmt(L, b, labels);
  if (b.kind === "ForOf") return forOf(L, b, labels);
  if (b.kind === "While") return whileStmt(L, b, labels);
  if (b.kind === "Switch") return switchStmt(L, b, labels);
  const t: JumpTo = { stmt: s, labels, loop: false };
  L.jumps.push(t);
  L.stmt(b);
  L.jumps.pop();
  exit(L, t);
}

/** `switch`: the test once, compared with each case in turn; clauses in order, falling through. */
export function switchStmt(L: LowerCtx, s: A.Switch, labels: string[]): void {
  const v = L.value(s.test);
  const t: JumpTo = { stmt: s, labels, loop: false };
  const bodies = s.cases.map(() => L.newBlock());
  s.cases.forEach((c, i) => {
    if (!c.test) return;
    const next = L.newBlock();
    L.branch("eq", v, c.test.constValue!, bodies[i]!, next);
    L.start(next);
  });
  const d = s.cases.findIndex((c) => !c.test);
  L.jump(d >= 0 ? bodies[d]! : (t.brk ??= L.newBlock()));
  L.jumps.push(t);
  s.cases.forEach((c, i) => {
    L.start(bodies[i]!);
    for (const x of c.body) L.stmt(x);
    L.jump(bodies[i + 1] ?? (t.brk ??= L.newBlock()));
  });
  L.jumps.pop();
  L.start(t.brk!);
}

/** `break` / `continue`: a jump to the target's exit or to the end of its round. */
export function jump(L: LowerCtx, s: A.Jump): void {
  const brk = s.jump === "break";
  const t = [...L.jumps]
    .reverse()
    .find((x) => (s.label ? x.labels.includes(s.label) : x.loop || (brk && x.stmt.kind === "Switch")));
  if (!t) return L.fail(`internal: no target for '${s.jump}'`, s.span);
  L.jump(brk ? (t.brk ??= L.newBlock()) : (t.cont ??= L.newBlock()));
  L.start(L.newBlock()); // unreachable code after the jump
}

/** Count one unrolled loop body against the program's limit. */
function unrolledOnce(L: LowerCtx, s: A.Stmt): void {
  if (++L.unrolled > MAX_UNROLLED_BODIES) {
    const why =
      `nested loops run their bodies more than ${MAX_UNROLLED_BODIES} times in all; ` + "the compiler unrolls loops";
    L.fail(why, s.span);
  }
}

/** A comparison of names and constants that fold on this path (loop tests), else undefined. */
function constCond(L: LowerCtx, e: A.Expr): boolean | undefined {
  if (e.constValue !== undefined) return e.constValue !== 0n;
  const simple = (x: A.Expr): boolean => x.constValue !== undefined || x.kind === "Identifier";
  if (e.kind !== "BinaryExpr" || !isCompare(e.op) || !simple(e.left) || !simple(e.right)) return undefined;
  const a = L.value(e.left),
    b = L.value(e.right);
  if (typeof a !== "bigint" || typeof b !== "bigint") return undefined;
  return compareConst(e, a, b);
}

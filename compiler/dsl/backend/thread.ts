// Jump threading on known values, an optimiser pass: takes an IR Func and rewrites it in place. An
// edge into a block that only tests a register (against a constant or another register) or returns
// a register goes straight to the outcome (or to a `return K` block) when the edge knows the value
// and the block's ops (if any) have no side effect and define nothing live at the outcome (`v = 0;
// goto J` … `J: w = v; if v == 0 goto exit`, what `loadU8(off) ?? 0` then a test of it leave): a constant copied into the register on the way (`v = 0; goto J` …
// `J: if v != 0`, the pairs inlined bool helpers leave), or an earlier test of the same registers
// the edge passed (`if p != 0` … `if p == 0`, the second null check of a map value; `off < end`
// tested again by every unrolled iteration). A block's own test is decided the same way when its
// only way in knows the registers.
import { type Cond, type Func, type Op, type Reg, type Term, type Val, defs, liveIns, rpo, successors } from "../ir.js";
import { invertCond, swapCond } from "../../isa/cond.js";
import { evalCond } from "../int-rule.js";

/** What an edge knows of the tested operands: `a cc b` holds or not (b a constant or a register). */
interface Fact {
  cc: Cond;
  a: Reg;
  b: Val;
  w32: boolean;
  holds: boolean;
}
type Side = "to" | "then" | "else";
type Preds = Map<number, Set<number>>;

const MAX_CHAIN = 8;

export function threadJumps(f: Func): boolean {
  const preds: Preds = new Map();
  for (const id of rpo(f)) for (const s of successors(f.blocks[id]!.term)) addPred(preds, s, id);
  const rets = new Map<bigint, number>();
  for (const id of rpo(f)) {
    const b = f.blocks[id]!;
    if (!b.ops.length && b.term.op === "ret" && typeof b.term.val === "bigint" && !rets.has(b.term.val))
      rets.set(b.term.val, id);
  }
  const ctx: Ctx = { f, preds, rets };
  const order = rpo(f);
  // liveness before any edge moves: an edge moved from J to its outcome only shrinks what is live,
  // so the sets stay an over-estimate (J's ops are skipped only where they define nothing live)
  const live = liveIns(f, order);
  let changed = false;
  for (const j of order) {
    const J = f.blocks[j]!;
    if (decideOwn(ctx, j)) changed = true;
    const regs = testedRegs(J.term);
    if (!regs || !J.ops.every((o) => skippable(o, regs))) continue;
    for (const p of [...(preds.get(j) ?? [])]) {
      for (const side of edgesTo(f.blocks[p]!.term, j)) {
        const to = outcome(ctx, J.term, factOnEdge(ctx, p, side, regs, 0));
        if (to === undefined || !deadAt(J.ops, live.get(to))) continue;
        setTerm(ctx, p, retarget(f.blocks[p]!.term, side, to));
        changed = true;
      }
    }
  }
  return changed;
}

/** An op an edge may skip on its way past J: no side effect, and not a definition of a tested register. */
function skippable(o: Op, regs: Reg[]): boolean {
  if (o.op === "store" || o.op === "xadd" || o.op === "call" || o.op === "callp") return false;
  return !defs(o).some((d) => regs.includes(d));
}

/** Whether nothing `ops` define is live into the block (whose live-in set is `liveIn`). */
function deadAt(ops: Op[], liveIn: Set<Reg> | undefined): boolean {
  if (!ops.length) return true;
  return liveIn !== undefined && ops.every((o) => defs(o).every((d) => !liveIn.has(d)));
}

interface Ctx {
  f: Func;
  preds: Preds;
  rets: Map<bigint, number>;
}

function addPred(preds: Preds, s: number, p: number): void {
  (preds.get(s) ?? preds.set(s, new Set()).get(s)!).add(p);
}

/** Replace a block's terminator, keeping the predecessor sets true. */
function setTerm(c: Ctx, id: number, t: Term): void {
  for (const s of successors(c.f.blocks[id]!.term)) c.preds.get(s)?.delete(id);
  c.f.blocks[id]!.term = t;
  for (const s of successors(t)) addPred(c.preds, s, id);
}

/** The registers a terminator tests or returns. */
function testedRegs(t: Term): Reg[] | undefined {
  if (t.op === "br" && typeof t.a === "number") return typeof t.b === "number" ? [t.a, t.b] : [t.a];
  if (t.op === "ret" && typeof t.val === "number") return [t.val];
  return undefined;
}

function edgesTo(t: Term, j: number): Side[] {
  if (t.op === "jmp") return t.to === j ? ["to"] : [];
  if (t.op !== "br" || t.then === t.else) return [];
  return t.then === j ? ["then"] : t.else === j ? ["else"] : [];
}

function retarget(t: Term, side: Side, to: number): Term {
  if (side === "to") return { op: "jmp", to, span: t.span };
  return { ...t, [side]: to } as Term;
}

/** A block's own test of registers it does not define, decided by what its only way in knows. */
function decideOwn(c: Ctx, j: number): boolean {
  const J = c.f.blocks[j]!;
  const regs = J.term.op === "br" ? testedRegs(J.term) : undefined;
  const from = [...(c.preds.get(j) ?? [])];
  if (!regs || from.length !== 1 || J.ops.some((o) => defs(o).some((d) => regs.includes(d)))) return false;
  const sides = edgesTo(c.f.blocks[from[0]!]!.term, j);
  if (sides.length !== 1) return false;
  const to = outcome(c, J.term, factOnEdge(c, from[0]!, sides[0]!, regs, 0));
  if (to === undefined) return false;
  setTerm(c, j, { op: "jmp", to, span: J.term.span });
  return true;
}

/** What the edge leaving p by `side` knows of regs: tested by p's branch, or set on the way. */
function factOnEdge(c: Ctx, p: number, side: Side, regs: Reg[], depth: number): Fact | undefined {
  const P = c.f.blocks[p]!;
  const t = P.term;
  if (side !== "to" && t.op === "br" && typeof t.a === "number" && regs.includes(t.a)) {
    const other = typeof t.b === "number" ? t.b : undefined;
    if (regs.length === 1 ? other === undefined : other !== undefined && regs.includes(other) && t.a !== other)
      return { cc: t.cc, a: t.a, b: t.b, w32: t.w32, holds: side === "then" };
  }
  for (let i = P.ops.length - 1; i >= 0; i--) {
    const o = P.ops[i]!;
    const d = defs(o).filter((x) => regs.includes(x));
    if (!d.length) continue;
    const konst = regs.length === 1 && o.op === "mov" && !o.w32 && typeof o.src === "bigint";
    return konst ? { cc: "eq", a: regs[0]!, b: o.src as bigint, w32: false, holds: true } : undefined;
  }
  const up = [...(c.preds.get(p) ?? [])];
  if (up.length !== 1 || depth >= MAX_CHAIN) return undefined;
  const sides = edgesTo(c.f.blocks[up[0]!]!.term, p);
  return sides.length === 1 ? factOnEdge(c, up[0]!, sides[0]!, regs, depth + 1) : undefined;
}

/** Where a terminator goes when the fact holds (a `return K` block for a returned register). */
function outcome(c: Ctx, t: Term, fact: Fact | undefined): number | undefined {
  if (!fact) return undefined;
  const known = fact.holds && fact.cc === "eq" && typeof fact.b === "bigint" && !fact.w32 ? fact.b : undefined;
  if (t.op === "ret") return known === undefined ? undefined : returnBlock(c, known);
  if (t.op !== "br") return undefined;
  const taken = known !== undefined && typeof t.b === "bigint" ? evalCond(t.cc, known, t.b, t.w32) : implied(fact, t);
  return taken === undefined ? undefined : taken ? t.then : t.else;
}

/** Whether `t`'s test holds given the same operands' earlier test (same width), when that decides it. */
function implied(fact: Fact, t: Extract<Term, { op: "br" }>): boolean | undefined {
  if (fact.w32 !== t.w32) return undefined;
  let cc = t.cc;
  if (t.a === fact.a && t.b === fact.b) cc = t.cc;
  else if (t.a === fact.b && t.b === fact.a) cc = swapCond(t.cc);
  else return undefined;
  if (cc === fact.cc) return fact.holds;
  if (cc === invertCond(fact.cc)) return !fact.holds;
  return undefined;
}

/** A block that only returns k (a new one when there is none). */
function returnBlock(c: Ctx, k: bigint): number {
  const found = c.rets.get(k);
  if (found !== undefined) return found;
  const id = c.f.blocks.length;
  c.f.blocks.push({ id, ops: [], term: { op: "ret", val: k } });
  c.rets.set(k, id);
  return id;
}

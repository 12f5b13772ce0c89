// Jump threading on known values, an optimiser pass: takes an IR Func and rewrites it in place. An
// edge into a block that has no ops and only tests a register against a constant (or returns a
// register) goes straight to the branch's outcome (or to a `return K` block) when the value on that
// edge is known: a constant copied into the register on the way (`v = 0; goto J` … `J: if v != 0`,
// the pairs inlined bool helpers leave), or an earlier test of the same register the edge passed
// (`if p != 0` … `if p == 0`, the second null check of a map value). A block's own test is decided
// the same way when its only way in knows the register.
import { type Func, type Reg, type Term, defs, rpo, successors } from "../ir.js";
import { evalCond } from "../int-rule.js";

/** What is known of a register on an edge: it equals `k`, or (eq false) it differs from `k`. */
interface Fact {
  eq: boolean;
  k: bigint;
}

const MAX_CHAIN = 8;

export function threadJumps(f: Func): boolean {
  const preds = new Map<number, number[]>();
  for (const id of rpo(f))
    for (const s of successors(f.blocks[id]!.term)) (preds.get(s) ?? preds.set(s, []).get(s)!).push(id);
  const rets = new Map<bigint, number>();
  for (const id of rpo(f)) {
    const b = f.blocks[id]!;
    if (!b.ops.length && b.term.op === "ret" && typeof b.term.val === "bigint" && !rets.has(b.term.val))
      rets.set(b.term.val, id);
  }
  let changed = false;
  for (const j of rpo(f)) {
    const J = f.blocks[j]!;
    if (J.term.op === "br" && decideOwn(f, preds, j, rets)) changed = true;
    const r = J.ops.length ? undefined : testedReg(J.term);
    if (r === undefined) continue;
    for (const p of preds.get(j) ?? []) {
      const P = f.blocks[p]!;
      for (const side of edgesTo(P.term, j)) {
        const to = outcome(f, rets, J.term, factOnEdge(f, preds, p, side, r, 0));
        if (to === undefined) continue;
        P.term = retarget(P.term, side, to);
        changed = true;
      }
    }
  }
  return changed;
}

type Side = "to" | "then" | "else";

/** A block's own test of a register it does not define, decided by what its only way in knows. */
function decideOwn(f: Func, preds: Map<number, number[]>, j: number, rets: Map<bigint, number>): boolean {
  const J = f.blocks[j]!;
  const r = testedReg(J.term);
  const from = preds.get(j);
  if (r === undefined || from?.length !== 1 || J.ops.some((o) => defs(o).includes(r))) return false;
  const sides = edgesTo(f.blocks[from[0]!]!.term, j);
  if (sides.length !== 1) return false;
  const to = outcome(f, rets, J.term, factOnEdge(f, preds, from[0]!, sides[0]!, r, 0));
  if (to === undefined) return false;
  J.term = { op: "jmp", to, span: J.term.span };
  return true;
}

function testedReg(t: Term): Reg | undefined {
  if (t.op === "br" && typeof t.a === "number" && typeof t.b === "bigint") return t.a;
  if (t.op === "ret" && typeof t.val === "number") return t.val;
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

/** The value of r along the edge leaving p by `side`: tested by p's branch, or set on the way. */
function factOnEdge(
  f: Func,
  preds: Map<number, number[]>,
  p: number,
  side: Side,
  r: Reg,
  depth: number,
): Fact | undefined {
  const P = f.blocks[p]!;
  const t = P.term;
  if (side !== "to" && t.op === "br" && t.a === r && typeof t.b === "bigint" && !t.w32) {
    if (t.cc === "eq") return { eq: side === "then", k: t.b };
    if (t.cc === "ne") return { eq: side === "else", k: t.b };
  }
  for (let i = P.ops.length - 1; i >= 0; i--) {
    const o = P.ops[i]!;
    if (!defs(o).includes(r)) continue;
    return o.op === "mov" && !o.w32 && typeof o.src === "bigint" ? { eq: true, k: o.src } : undefined;
  }
  const up = preds.get(p);
  if (up?.length !== 1 || depth >= MAX_CHAIN) return undefined;
  const q = up[0]!;
  const [qs] = edgesTo(f.blocks[q]!.term, p);
  return qs && edgesTo(f.blocks[q]!.term, p).length === 1 ? factOnEdge(f, preds, q, qs, r, depth + 1) : undefined;
}

/** Where J's terminator goes when the fact holds (a `return K` block for a returned register). */
function outcome(f: Func, rets: Map<bigint, number>, t: Term, fact: Fact | undefined): number | undefined {
  if (!fact) return undefined;
  if (t.op === "ret") return fact.eq ? returnBlock(f, rets, fact.k) : undefined;
  if (t.op !== "br" || typeof t.b !== "bigint") return undefined;
  let taken: boolean | undefined;
  if (fact.eq) taken = evalCond(t.cc, fact.k, t.b, t.w32);
  else if (!t.w32 && t.b === fact.k && (t.cc === "eq" || t.cc === "ne")) taken = t.cc === "ne";
  return taken === undefined ? undefined : taken ? t.then : t.else;
}

/** A block that only returns k (a new one when there is none). */
function returnBlock(f: Func, rets: Map<bigint, number>, k: bigint): number {
  const found = rets.get(k);
  if (found !== undefined) return found;
  const id = f.blocks.length;
  f.blocks.push({ id, ops: [], term: { op: "ret", val: k } });
  rets.set(k, id);
  return id;
}

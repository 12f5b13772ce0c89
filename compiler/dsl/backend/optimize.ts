// The optimiser: takes the lowered IR Func and rewrites it in place — constant folding and
// propagation, copy propagation, a value truncated by a store or a 32-bit compare taken from before
// its extension (backend/low-bits.ts), stack loads of a value just stored taken from its register
// (backend/stack-forward.ts), value ranges (masks, 32-bit copies and comparisons a value's bound
// decides; backend/ranges.ts), packet addresses reused (data + (x + c) as (data + x) + c;
// backend/addresses.ts), loads and sums made once on a chain of single-entry blocks (a read-only
// global, a map value's field; backend/values.ts), jump threading on known values
// (backend/thread.ts), map lookups made once and dead stack stores removed (backend/map-cse.ts),
// stores overwritten before anything reads them removed (backend/overwritten.ts), byte-order swaps
// folded into the constants they are compared with (and swap∘swap removed), dead-code removal, jump
// threading, merging of identical return blocks, and merging of packet bounds checks (an earlier
// check raised to the end of a later one when every path between them is free of side effects and
// all their failure exits return the same constant). Last, constant stack stores merged into fewer
// wider ones (backend/store-merge.ts). Loops (back edges): the analyses meet at a loop's head to a
// fixed point; a single definition is one value wherever it is used (it dominates its uses), so the
// copy, constant, range and lookup facts built on them hold round a loop too.
import {
  type Block,
  type Func,
  type Op,
  type Reg,
  type Term,
  type Val,
  VREG0,
  bswap,
  defs,
  isVreg,
  liveIns,
  mapTermUses,
  mapUses,
  newVreg,
  rpo,
  successors,
  termUses,
  uses,
} from "../ir.js";
import { evalAlu, evalCond } from "../int-rule.js";
import { threadJumps } from "./thread.js";
import { reuseAddresses } from "./addresses.js";
import { reuseValues } from "./values.js";
import { removeOverwrittenStores } from "./overwritten.js";
import { narrowBranches, narrowStore } from "./low-bits.js";
import { forwardStackLoads } from "./stack-forward.js";
import { mergeConstStores } from "./store-merge.js";
import { type MapSizeTable, deadStackStores, reuseLookups } from "./map-cse.js";
import { type SingleDefs, decideByRange, foldByIntervals, simplifyByRange } from "./ranges.js";

/** `maps`: the key and value sizes of the maps the program may use (for the lookup and stack passes). */
export function optimize(f: Func, maps: MapSizeTable = new Map()): void {
  for (let i = 0; i < 8; i++) {
    let changed = propagate(f);
    changed = forwardStackLoads(f) || changed;
    const sd = singleDefs(f);
    changed = foldByIntervals(f, sd) || changed;
    changed = reuseAddresses(f, sd) || changed;
    changed = reuseValues(f, sd) || changed;
    changed = narrowBranches(f, sd) || changed;
    changed = reuseLookups(f, sd, maps) || changed;
    changed = deadStackStores(f, sd, maps) || changed;
    changed = foldSwaps(f) || changed;
    changed = threadJumps(f) || changed;
    changed = simplifyCfg(f) || changed;
    changed = deadCode(f) || changed;
    changed = deadStores(f) || changed;
    changed = removeOverwrittenStores(f, singleDefs(f)) || changed;
    changed = mergeBoundsChecks(f) || changed;
    if (!changed) break;
  }
  mergeConstStores(f);
}

// ---------------------------------------------------------------- def/use bookkeeping

function defCounts(f: Func): Map<Reg, number> {
  const n = new Map<Reg, number>();
  for (const id of rpo(f)) for (const o of f.blocks[id]!.ops) for (const d of defs(o)) n.set(d, (n.get(d) ?? 0) + 1);
  return n;
}

function singleDefs(f: Func): Map<Reg, Op> {
  const counts = defCounts(f);
  const m = new Map<Reg, Op>();
  for (const id of rpo(f))
    for (const o of f.blocks[id]!.ops) for (const d of defs(o)) if (isVreg(d) && counts.get(d) === 1) m.set(d, o);
  return m;
}

// ---------------------------------------------------------------- constants and copies

/** Replace uses of single-def constants and copies; fold ALU ops and branches on constants. */
function propagate(f: Func): boolean {
  const sd = singleDefs(f);
  const value = new Map<Reg, Val>();
  const resolve = (r: Reg, depth = 0): Val => {
    const o = sd.get(r);
    if (!o || depth > 32) return r;
    if (o.op === "mov" && !o.w32)
      return typeof o.src === "bigint" ? o.src : isVreg(o.src) && sd.has(o.src) ? resolve(o.src, depth + 1) : r;
    if (o.op === "mov" && o.w32 && typeof o.src === "bigint") return BigInt.asUintN(32, o.src);
    if (o.op === "alu" && typeof o.a === "bigint" && (o.alu === "neg" || typeof o.b === "bigint"))
      return evalAlu(o.alu, o.a, typeof o.b === "bigint" ? o.b : 0n, o.w32);
    return r;
  };
  for (const r of sd.keys()) value.set(r, resolve(r));
  // within a block, a register defined many times is known after a copy (`v = 0; if v != 0`),
  // until it or the register it copies is defined again
  let local = new Map<Reg, Val>();
  const sub = (r: Reg): Val => {
    const v = value.get(r);
    return v !== undefined && v !== r ? v : (local.get(r) ?? r);
  };
  const forget = (d: Reg): void => {
    local.delete(d);
    for (const [k, v] of local) if (v === d) local.delete(k);
  };
  let changed = false;
  for (const id of rpo(f)) {
    const b = f.blocks[id]!;
    local = new Map();
    b.ops = b.ops.map((o) => {
      const n = narrowStore(simplifyByRange(simplifyOp(mapUses(o, sub)), sd), sd);
      if (!same(n, o)) changed = true;
      for (const d of defs(n)) forget(d);
      if (n.op === "mov" && !n.w32 && isVreg(n.dst) && n.src !== n.dst && (typeof n.src === "bigint" || isVreg(n.src)))
        local.set(n.dst, n.src);
      return n;
    });
    const t = foldByRange(foldTerm(mapTermUses(b.term, sub)), sd);
    if (!same(t, b.term)) {
      b.term = t;
      changed = true;
    }
  }
  return changed;
}

/** Shallow structural equality of ops/terms (their only nested field is a call's argument list). */
function same(a: object, b: object): boolean {
  const x = a as Record<string, unknown>,
    y = b as Record<string, unknown>;
  const kx = Object.keys(x),
    ky = Object.keys(y);
  if (kx.length !== ky.length) return false;
  for (const k of kx) {
    const u = x[k],
      v = y[k];
    if (Array.isArray(u) && Array.isArray(v)) {
      if (u.length !== v.length || u.some((e, i) => e !== v[i])) return false;
    } else if (u !== v) return false;
  }
  return true;
}

const COMMUTATIVE = new Set(["add", "mul", "and", "or", "xor"]);

function simplifyOp(o: Op): Op {
  if (o.op !== "alu") return o;
  // the constant on the right, where it is an immediate (`14 + x` → `x + 14`)
  if (COMMUTATIVE.has(o.alu) && typeof o.a === "bigint" && typeof o.b === "number") o = { ...o, a: o.b, b: o.a };
  if (typeof o.a === "bigint" && (o.alu === "neg" || typeof o.b === "bigint"))
    return { op: "mov", dst: o.dst, src: evalAlu(o.alu, o.a, typeof o.b === "bigint" ? o.b : 0n, o.w32), span: o.span };
  // the verifier refuses a division by an immediate 0: x / 0 = 0 and x % 0 = x, as BPF computes them
  if (o.b === 0n && (o.alu === "div" || o.alu === "sdiv")) return { op: "mov", dst: o.dst, src: 0n, span: o.span };
  if (o.b === 0n && (o.alu === "mod" || o.alu === "smod"))
    return { op: "mov", dst: o.dst, src: o.a, w32: o.w32, span: o.span };
  const identity =
    o.b === 0n &&
    (o.alu === "add" ||
      o.alu === "sub" ||
      o.alu === "or" ||
      o.alu === "xor" ||
      o.alu === "lsh" ||
      o.alu === "rsh" ||
      o.alu === "arsh");
  if (identity) return { op: "mov", dst: o.dst, src: o.a, w32: o.w32, span: o.span };
  return o;
}

function foldByRange(t: Term, sd: SingleDefs): Term {
  if (t.op !== "br") return t;
  const known = decideByRange(t, sd);
  return known === undefined ? t : { op: "jmp", to: known ? t.then : t.else, span: t.span };
}

/** A branch on two constants becomes a jump; a branch whose two edges agree too. */
export function foldTerm(t: Term): Term {
  if (t.op !== "br") return t;
  if (typeof t.a === "bigint" && typeof t.b === "bigint")
    return { op: "jmp", to: evalCond(t.cc, t.a, t.b, t.w32) ? t.then : t.else, span: t.span };
  if (t.then === t.else) return { op: "jmp", to: t.then, span: t.span };
  return t;
}

// ---------------------------------------------------------------- byte order

/** `be(x) == K` → `x == be(K)`; `be(be(load))` → load. */
function foldSwaps(f: Func): boolean {
  const sd = singleDefs(f);
  let changed = false;
  for (const id of rpo(f)) {
    const b = f.blocks[id]!;
    const t = b.term;
    if (t.op === "br" && (t.cc === "eq" || t.cc === "ne" || t.cc === "set") && isVreg(t.a) && typeof t.b === "bigint") {
      const d = sd.get(t.a);
      // the swapped register must not change between the swap and the branch: single definition only
      if (d?.op === "swap" && sd.has(d.src) && BigInt.asUintN(d.bits, t.b) === BigInt.asUintN(64, t.b)) {
        b.term = { ...t, a: d.src, b: BigInt.asIntN(64, bswap(t.b, d.bits)) };
        changed = true;
      }
    }
    b.ops = b.ops.map((o) => {
      if (o.op !== "swap") return o;
      const inner = sd.get(o.src);
      if (inner?.op !== "swap" || inner.bits !== o.bits) return o;
      const raw = sd.get(inner.src);
      if (raw?.op !== "load" || raw.size * 8 !== o.bits) return o;
      changed = true;
      return { op: "mov", dst: o.dst, src: inner.src, span: o.span };
    });
  }
  return changed;
}

// ---------------------------------------------------------------- dead code

function hasEffect(o: Op): boolean {
  return o.op === "store" || o.op === "xadd" || o.op === "call" || o.op === "callp";
}

function deadCode(f: Func): boolean {
  let changed = false;
  for (;;) {
    const used = new Set<Reg>();
    for (const id of rpo(f)) {
      const b = f.blocks[id]!;
      for (const o of b.ops) for (const u of uses(o)) used.add(u);
      for (const u of termUses(b.term)) used.add(u);
    }
    let removed = false;
    for (const id of rpo(f)) {
      const b = f.blocks[id]!;
      b.ops = b.ops.flatMap((o): Op[] => {
        if (o.op === "call" && o.dst !== undefined && !used.has(o.dst)) {
          removed = true;
          return [{ ...o, dst: undefined }];
        }
        if (hasEffect(o)) return [o];
        const ds = defs(o);
        if (ds.length && ds.every((d) => d >= VREG0 && !used.has(d))) {
          removed = true;
          return [];
        }
        if (o.op === "mov" && o.dst === o.src && !o.w32) {
          removed = true;
          return [];
        }
        return [o];
      });
    }
    if (!removed) return changed;
    changed = true;
  }
}

/** Remove side-effect-free ops whose results are dead at that point (liveness over the CFG). */
function deadStores(f: Func): boolean {
  const order = rpo(f);
  const liveIn = liveIns(f, order);
  const drop = (id: number): boolean => {
    const b = f.blocks[id]!;
    const live = new Set<Reg>(termUses(b.term));
    for (const s of successors(b.term)) for (const r of liveIn.get(s) ?? []) live.add(r);
    let removed = false;
    const keep: Op[] = [];
    for (let i = b.ops.length - 1; i >= 0; i--) {
      const o = b.ops[i]!;
      const ds = defs(o);
      if (!hasEffect(o) && ds.length && ds.every((d) => d >= VREG0 && !live.has(d))) {
        removed = true;
        continue;
      }
      keep.push(o);
      for (const d of ds) live.delete(d);
      for (const u of uses(o)) live.add(u);
    }
    b.ops = keep.reverse();
    return removed;
  };
  let removed = false;
  for (const id of order) removed = drop(id) || removed;
  return removed;
}

// ---------------------------------------------------------------- control flow

function simplifyCfg(f: Func): boolean {
  let changed = false;
  // thread jumps through empty blocks
  const target = (id: number): number => {
    for (const seen = new Set<number>(); ; id = (f.blocks[id]!.term as { to: number }).to) {
      const b = f.blocks[id]!;
      if (b.ops.length || b.term.op !== "jmp" || seen.has(id)) return id;
      seen.add(id);
    }
  };
  // one block per returned constant
  const retBlock = new Map<string, number>();
  for (const id of rpo(f)) {
    const b = f.blocks[id]!;
    if (!b.ops.length && b.term.op === "ret" && typeof b.term.val === "bigint") {
      const k = String(b.term.val);
      if (!retBlock.has(k)) retBlock.set(k, id);
    }
  }
  const canon = (id: number): number => {
    const t = target(id);
    const b = f.blocks[t]!;
    if (!b.ops.length && b.term.op === "ret" && typeof b.term.val === "bigint")
      return retBlock.get(String(b.term.val)) ?? t;
    return t;
  };
  for (const id of rpo(f)) {
    const b = f.blocks[id]!;
    const t = b.term;
    let n: Term = t;
    if (t.op === "jmp") {
      const to = canon(t.to);
      const dest = f.blocks[to]!;
      // a jump to a bare return becomes the return
      if (!dest.ops.length && dest.term.op === "ret" && typeof dest.term.val === "bigint")
        n = { ...dest.term, span: dest.term.span ?? t.span };
      else n = { ...t, to };
    } else if (t.op === "br") n = foldTerm({ ...t, then: canon(t.then), else: canon(t.else) });
    if (!same(n, t)) {
      b.term = n;
      changed = true;
    }
  }
  // merge a block into its only predecessor when that predecessor jumps straight to it
  const preds = predecessors(f);
  for (const id of rpo(f)) {
    const b = f.blocks[id]!;
    for (;;) {
      if (b.term.op !== "jmp") break;
      const next = b.term.to;
      if (next === id || next === 0 || preds.get(next)?.length !== 1) break;
      const nb = f.blocks[next]!;
      b.ops.push(...nb.ops);
      b.term = nb.term;
      nb.ops = [];
      nb.term = { op: "ret", val: 0n };
      for (const s of successors(b.term))
        preds.set(
          s,
          (preds.get(s) ?? []).map((p) => (p === next ? id : p)),
        );
      changed = true;
    }
  }
  return changed;
}

function predecessors(f: Func): Map<number, number[]> {
  const p = new Map<number, number[]>();
  for (const id of rpo(f)) for (const s of successors(f.blocks[id]!.term)) (p.get(s) ?? p.set(s, []).get(s)!).push(id);
  return p;
}

// ---------------------------------------------------------------- packet bounds checks

/** The constant every path from `id` returns, when the block is a bare `return K`. */
function bareReturn(f: Func, id: number): bigint | undefined {
  const b = f.blocks[id]!;
  return !b.ops.length && b.term.op === "ret" && typeof b.term.val === "bigint" ? b.term.val : undefined;
}

/**
 * Raise check B1 (end E1) to E2 and drop check B2 (end E2 > E1) when B2 is reached from B1's
 * success edge and every block on the way (and every way out) is side-effect free and exits with
 * the same constant B1 and B2 return on failure: a short packet then gets the same verdict.
 */
function mergeBoundsChecks(f: Func): boolean {
  const checks = rpo(f).filter((id) => {
    const t = f.blocks[id]!.term;
    return t.op === "br" && t.bound;
  });
  for (const b1 of checks) {
    const t1 = f.blocks[b1]!.term;
    if (t1.op !== "br" || !t1.bound) continue;
    const k = bareReturn(f, t1.then);
    if (k === undefined) continue;
    for (const b2 of checks) {
      const t2 = f.blocks[b2]!.term;
      if (b2 === b1 || t2.op !== "br" || !t2.bound || t2.bound.data !== t1.bound.data || t2.bound.end <= t1.bound.end)
        continue;
      if (bareReturn(f, t2.then) !== k) continue;
      if (!dominates(f, b1, b2) || !regionIsPure(f, t1.else, b2, k) || movingData(f, b2, t2.bound.data)) continue;
      raiseCheck(f, b1, t2.bound.end);
      f.blocks[b2]!.term = { op: "jmp", to: t2.else, span: t2.span };
      return true;
    }
  }
  return false;
}

/** Whether every path from the entry to b passes through a. */
function dominates(f: Func, a: number, b: number): boolean {
  return !reaches(f, [0], b, a);
}

/** Whether check b is in a loop and its data pointer is loaded again somewhere (after an adjustHead):
 * the check then runs again on a packet that may have changed, and the one before it does not stand
 * for it. (A real loop never adjusts the packet: the pointer is the same every time round.) */
function movingData(f: Func, b: number, data: Reg): boolean {
  const defined = rpo(f).reduce((n, id) => n + f.blocks[id]!.ops.filter((o) => defs(o).includes(data)).length, 0);
  return defined > 1 && onCycle(f, b);
}

/** Whether block b can reach itself (it is in a loop). */
function onCycle(f: Func, b: number): boolean {
  return reaches(f, successors(f.blocks[b]!.term), b);
}

/** Whether a path from one of the blocks `from` reaches `target` without passing through `avoid`. */
function reaches(f: Func, from: number[], target: number, avoid?: number): boolean {
  const seen = new Set<number>(avoid === undefined ? [] : [avoid]);
  const work = [...from];
  while (work.length) {
    const id = work.pop()!;
    if (id === target) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    work.push(...successors(f.blocks[id]!.term));
  }
  return false;
}

/** Every block reachable from `from` before `stop` has no side effects and only returns k; `stop` is reached. */
function regionIsPure(f: Func, from: number, stop: number, k: bigint): boolean {
  const seen = new Set<number>();
  const work = [from];
  let reached = false;
  while (work.length) {
    const id = work.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const b = f.blocks[id]!;
    if (b.ops.some(hasEffect)) return false;
    if (id === stop) {
      reached = true;
      continue;
    }
    if (b.term.op === "ret") {
      if (b.term.val !== k) return false;
      continue;
    }
    if (b.term.op === "br" && b.term.bound && id !== stop) {
      // another check on the way: fine as long as its own failure returns k
      if (bareReturn(f, b.term.then) !== k) return false;
    }
    work.push(...successors(b.term));
  }
  return reached;
}

function raiseCheck(f: Func, id: number, end: number): void {
  const b = f.blocks[id]!;
  const t = b.term;
  if (t.op !== "br" || !t.bound) return;
  const ptr = t.bound.ptr;
  const np = newVreg(f);
  b.ops.push({ op: "alu", alu: "add", dst: np, a: t.bound.data, b: BigInt(end), w32: false, span: t.span });
  b.term = { ...t, a: np, bound: { ...t.bound, end, ptr: np } };
  void ptr;
}

// Verifier-work estimate: takes one program's final instructions (select.ts output: jumps carry
// labels) and walks them the way the kernel verifier does — depth first, both sides of a branch
// it cannot decide, one side of a branch on known constants — pruning at jump targets when a state
// was seen before there. A state is the constant value of each register that may decide a later
// branch (backward "precision" analysis: operands of conditional jumps and whatever flows into
// them); other registers are treated as unknown, as the verifier treats scalars not marked precise.
// Loops: a state met again at a loop's head on the same path (an ancestor still being walked, as the
// kernel's state with branches left) does not prune — the walk goes round again, as the verifier does
// for a bounded loop, until the states differ no more than that loop's bound allows (its trips, from
// `loops`: the head's instruction → the most times round; other heads — the optimiser moved a back
// edge — `most`, the most any loop of the function goes round): a loop
// costs its trips × its body. Produces the number of instructions walked (stopping just past
// `limit`) and the source line whose branches forked the walk most often, so a diagnostic can name
// what multiplies the paths.
import { CLASS, JMP, LD_IMM64, SRC, type Insn } from "../../isa/insn.js";
import { condOfCode } from "../../isa/cond.js";
import { evalCond } from "../int-rule.js";
import { MAX_LOOP_TRIPS } from "../limits.js";

type Val = bigint | undefined; // a known 64-bit constant, or unknown
const U64 = (1n << 64n) - 1n;
const CALLER_SAVED = [0, 1, 2, 3, 4, 5];

export interface CostEstimate {
  /** Instructions walked (stops just past `limit`). */
  processed: number;
  exceeded: boolean;
  /** A branch of the source line that forked the walk most often, and that line's fork count. */
  hottest?: { insn: number; forks: number };
}

interface Flow {
  succ: number[][];
  relevant: number[]; // per instruction: bit mask of registers whose constant value matters
  prune: boolean[];
}

export function estimateVerifierWork(
  insns: readonly Insn[],
  labels: ReadonlyMap<string, number>,
  limit: number,
  loops: ReadonlyMap<number, number> = new Map(),
  most = MAX_LOOP_TRIPS,
): CostEstimate {
  const flow = analyse(insns, labels);
  return walk(insns, flow, limit, loops, most);
}

const isCond = (i: Insn): boolean => {
  const cls = i.code & 7,
    op = i.code & 0xf0;
  return (
    (cls === CLASS.JMP || cls === CLASS.JMP32) &&
    op !== JMP.JA &&
    op !== JMP.CALL &&
    op !== JMP.EXIT &&
    op !== JMP.JCOND
  );
};

function successors(insns: readonly Insn[], labels: ReadonlyMap<string, number>, k: number): number[] {
  const i = insns[k]!,
    cls = i.code & 7,
    op = i.code & 0xf0;
  if (cls !== CLASS.JMP && cls !== CLASS.JMP32) return [k + 1];
  if (op === JMP.EXIT) return [];
  if (op === JMP.CALL) return [k + 1];
  const to =
    i.target !== undefined ? labels.get(i.target)! : k + 1 + (i.code === (CLASS.JMP32 | JMP.JA) ? i.imm : i.off);
  return op === JMP.JA ? [to] : [k + 1, to];
}

function analyse(insns: readonly Insn[], labels: ReadonlyMap<string, number>): Flow {
  const n = insns.length;
  const succ = insns.map((_, k) => successors(insns, labels, k));
  const prune = new Array<boolean>(n + 1).fill(false);
  succ.forEach((s, k) => {
    if (isCond(insns[k]!) || (insns[k]!.code & 0xf0) === JMP.JA) for (const t of s) prune[t] = true;
  });
  const relevant = new Array<number>(n).fill(0);
  // backward to a fixed point (a few sweeps in reverse order; a loop's back edge one more)
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = n - 1; k >= 0; k--) {
      let out = 0;
      for (const t of succ[k]!) out |= relevant[t] ?? 0;
      const inn = transferBack(insns[k]!, out);
      if (inn !== relevant[k]) (relevant[k] = inn), (changed = true);
    }
  }
  // inside a loop the kernel compares every live scalar range for range (its read and precision
  // marks are not final while the loop is being walked): there every live register is relevant
  const live = liveRegs(insns, succ);
  for (const k of loopBodies(succ)) relevant[k] = live[k]! & 0x3ff;
  return { succ, relevant, prune };
}

/** Registers each instruction reads and writes (a call reads r1..r5 and writes r0..r5). */
function useDef(i: Insn): [number, number] {
  const cls = i.code & 7,
    op = i.code & 0xf0,
    d = 1 << i.dst,
    s = 1 << i.src,
    x = (i.code & SRC.X) !== 0;
  if (cls === CLASS.ALU || cls === CLASS.ALU64) return [(op === 0xb0 ? 0 : d) | (x ? s : 0), d];
  if (cls === CLASS.LDX) return [s, d];
  if (i.code === LD_IMM64) return [0, d];
  if (cls === CLASS.ST) return [d, 0];
  if (cls === CLASS.STX) return (i.code & 0xe0) === 0xc0 ? [d | s | 1, s | 1] : [d | s, 0];
  if (op === JMP.CALL) return [0x3e, 0x3f];
  if (op === JMP.EXIT) return [1, 0];
  if (isCond(i)) return [d | (x ? s : 0), 0];
  return [0, 0];
}

function liveRegs(insns: readonly Insn[], succ: number[][]): number[] {
  const live = new Array<number>(insns.length).fill(0);
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = insns.length - 1; k >= 0; k--) {
      let out = 0;
      for (const t of succ[k]!) out |= live[t] ?? 0;
      const [use, def] = useDef(insns[k]!);
      const inn = (out & ~def) | use;
      if (inn !== live[k]) (live[k] = inn), (changed = true);
    }
  }
  return live;
}

/** The instructions of every natural loop: those that reach a back edge (a jump to an earlier
 * instruction) without passing its target. */
function loopBodies(succ: number[][]): Set<number> {
  const pred = succ.map(() => [] as number[]);
  succ.forEach((s, k) => s.forEach((t) => t < succ.length && pred[t]!.push(k)));
  const out = new Set<number>();
  succ.forEach((s, k) => {
    for (const h of s) {
      if (h > k) continue;
      const body = new Set([h, k]);
      const work = [k];
      while (work.length) for (const p of pred[work.pop()!]!) if (!body.has(p)) body.add(p), work.push(p);
      for (const b of body) out.add(b);
    }
  });
  return out;
}

/** Registers relevant before `i`, given those relevant after it. */
function transferBack(i: Insn, out: number): number {
  const cls = i.code & 7,
    op = i.code & 0xf0,
    d = 1 << i.dst,
    s = 1 << i.src,
    x = (i.code & SRC.X) !== 0;
  if (isCond(i)) return out | d | (x ? s : 0);
  if (cls === CLASS.ALU || cls === CLASS.ALU64) {
    if (!(out & d)) return out;
    if (op === 0xb0) return (out & ~d) | (x ? s : 0); // mov
    return out | (x && op !== 0xd0 ? s : 0);
  }
  if (cls === CLASS.LDX || i.code === LD_IMM64) return out & ~d;
  if (cls === CLASS.JMP && op === JMP.CALL) return out & ~0x3f;
  return out;
}

interface Frame {
  k: number;
  regs: Val[];
}

function walk(
  insns: readonly Insn[],
  flow: Flow,
  limit: number,
  loops: ReadonlyMap<number, number>,
  most: number,
): CostEstimate {
  const seen = new Map<number, Seen>();
  const forks = new Map<number, number>(); // branch → times both sides were walked
  const stack: Frame[] = [{ k: 0, regs: new Array<Val>(11).fill(undefined) }];
  const open = new Open();
  const lastAt = new Map<number, Val[]>(); // the registers when a may_goto was last walked
  let processed = 0;
  while (stack.length && processed <= limit) {
    open.closeAbove(stack.length - 1); // the states recorded since this frame was pushed are done
    let { k, regs } = stack.pop()!;
    for (;;) {
      if (k >= insns.length) break;
      const i = insns[k]!;
      const mayGoto = i.code === MAY_GOTO;
      // may_goto: a state within an earlier one here is pruned, the current path's own too
      const trips = mayGoto ? 0 : (loops.get(k) ?? most);
      // may_goto: the next round goes on with the registers that changed since the last forgotten
      const wide = mayGoto ? widen(regs, lastAt.get(k)) : regs;
      if (
        (flow.prune[k] || mayGoto) &&
        visited(seen, k, regs, flow.relevant[k]!, open.at(stack.length, k), trips, wide)
      )
        break;
      processed++;
      if (mayGoto) {
        // the goto (out of the loop) first, then the next round
        const [fall, to] = flow.succ[k]!;
        stack.push({ k: fall!, regs: wide });
        lastAt.set(k, regs);
        k = to!;
        continue;
      }
      if (isCond(i)) {
        const [fall, to] = flow.succ[k]!;
        const taken = decide(i, regs);
        if (taken === undefined) {
          forks.set(k, (forks.get(k) ?? 0) + 1);
          stack.push({ k: to!, regs: refine(i, regs, true) });
          regs = refine(i, regs, false);
          k = fall!;
        } else k = taken ? to! : fall!;
        continue;
      }
      const next = flow.succ[k]!;
      if (!next.length) break;
      regs = step(i, regs);
      k = next[0]!;
    }
  }
  return { processed, exceeded: processed > limit, hottest: hottestLine(insns, forks) };
}

/** The branch whose source line forked most often (unrolled copies of one `if` share a line). */
function hottestLine(insns: readonly Insn[], forks: Map<number, number>): CostEstimate["hottest"] {
  const byLine = new Map<string, { insn: number; forks: number }>();
  for (const [k, n] of forks) {
    const s = insns[k]!.span,
      key = s ? `${s.file}:${s.offset}` : `#${k}`;
    const e = byLine.get(key);
    if (e) e.forks += n;
    else byLine.set(key, { insn: k, forks: n });
  }
  let best: CostEstimate["hottest"];
  for (const e of byLine.values()) if (!best || e.forks > best.forks) best = e;
  return best;
}

/** A state recorded at a prune point; `open` while the walk is still below it (its path goes on). */
interface Rec {
  regs: Val[];
  open: boolean;
  at: Seen;
}
/** States seen at one prune point: exact keys, the few with unknown registers that cover others, and
 * how many of them are open (the current path has been here that many times: a loop's rounds). */
interface Seen {
  keys: Map<string, Rec>;
  partial: Rec[];
  open: number;
}
const MAX_PARTIAL = 16;

/** The recorded states still open, with the stack height at their recording (nondecreasing). */
class Open {
  private recs: { rec: Rec; h: number }[] = [];
  private h = 0;
  /** Where the next state is recorded: at stack height `h`. */
  at(h: number, _k: number): Open {
    this.h = h;
    return this;
  }
  add(rec: Rec): void {
    this.recs.push({ rec, h: this.h });
    rec.at.open++;
  }
  /** The frame at index `j` is popped: states recorded above it are walked to their ends. */
  closeAbove(j: number): void {
    for (let top = this.recs.at(-1); top && top.h > j; top = this.recs.at(-1)) {
      top.rec.open = false;
      top.rec.at.open--;
      this.recs.pop();
    }
  }
}

/**
 * True if an earlier state at `k` covers this one (each relevant register unknown there or equal) and
 * is done, or is still open (this path's own, a loop going round) but the path has gone round the
 * loop more than `trips` times.
 */
function visited(
  seen: Map<number, Seen>,
  k: number,
  cur: Val[],
  mask: number,
  open: Open,
  trips: number,
  regs = cur, // the state recorded (may_goto: the widened one its next round starts from)
): boolean {
  let at = seen.get(k);
  if (!at) seen.set(k, (at = { keys: new Map(), partial: [], open: 0 }));
  const keyOf = (vals: Val[]): string => {
    let key = "";
    for (let r = 0; r < 11; r++) if (mask & (1 << r)) key += vals[r] === undefined ? "?," : `${vals[r]},`;
    return key;
  };
  const key = keyOf(cur);
  const unknown = regs.some((v, r) => mask & (1 << r) && v === undefined);
  const covers = (old: Rec) => old.regs.every((v, r) => !(mask & (1 << r)) || v === undefined || v === cur[r]);
  const exact = at.keys.get(key);
  const cover = exact && !exact.open ? exact : (at.partial.find((p) => !p.open && covers(p)) ?? exact);
  const found = cover ?? at.partial.find(covers);
  if (found && (!found.open || at.open > trips)) return true;
  const rec: Rec = { regs, open: true, at };
  open.add(rec);
  const recKey = regs === cur ? key : keyOf(regs);
  if (!at.keys.has(recKey)) at.keys.set(recKey, rec);
  if (unknown && at.partial.length < MAX_PARTIAL) at.partial.push(rec);
  return false;
}

const MAY_GOTO = CLASS.JMP | JMP.JCOND;

/** may_goto's looping branch: registers that differ from the last time there are unknown. */
function widen(regs: Val[], last: Val[] | undefined): Val[] {
  return last ? regs.map((v, r) => (v === last[r] ? v : undefined)) : regs;
}

function operand(i: Insn, regs: Val[]): Val {
  return i.code & SRC.X ? regs[i.src] : BigInt.asUintN(64, BigInt(i.imm));
}

/** The outcome of a conditional jump on known operands, or undefined. */
function decide(i: Insn, regs: Val[]): boolean | undefined {
  const a = regs[i.dst],
    b = operand(i, regs),
    cc = condOfCode(i.code);
  if (a === undefined || b === undefined || cc === undefined) return undefined;
  return evalCond(cc, a, b, (i.code & 7) === CLASS.JMP32);
}

/** After `if dst == v` the taken side knows dst (and `!=` the fall-through side), as the verifier does. */
function refine(i: Insn, regs: Val[], taken: boolean): Val[] {
  const op = i.code & 0xf0;
  const v = operand(i, regs);
  if ((i.code & 7) !== CLASS.JMP || v === undefined || !((op === JMP.JEQ && taken) || (op === JMP.JNE && !taken)))
    return regs;
  const out = regs.slice();
  out[i.dst] = v;
  return out;
}

/** Abstract effect of a non-branch instruction on the registers. */
function step(i: Insn, regs: Val[]): Val[] {
  const cls = i.code & 7;
  const out = regs.slice();
  if (cls === CLASS.ALU || cls === CLASS.ALU64) out[i.dst] = alu(i, regs);
  else if (cls === CLASS.LDX) out[i.dst] = undefined;
  else if (i.code === LD_IMM64)
    out[i.dst] = i.symbol === undefined ? BigInt.asUintN(64, i.imm64 ?? BigInt(i.imm)) : undefined;
  else if (cls === CLASS.JMP && (i.code & 0xf0) === JMP.CALL) for (const r of CALLER_SAVED) out[r] = undefined;
  else if (cls === CLASS.STX && (i.code & 0xe0) === 0xc0) out[i.src] = out[0] = undefined; // atomics may write src / r0
  return out;
}

function alu(i: Insn, regs: Val[]): Val {
  const op = i.code & 0xf0,
    w32 = (i.code & 7) === CLASS.ALU;
  const b = i.code & SRC.X ? regs[i.src] : BigInt.asUintN(64, BigInt(i.imm));
  if (op === 0xb0) return i.off !== 0 || b === undefined ? undefined : w32 ? b & 0xffffffffn : b;
  const a = regs[i.dst];
  if (a === undefined || (b === undefined && op !== 0x80) || i.off !== 0) return undefined;
  const bits = w32 ? 32 : 64;
  const x = BigInt.asUintN(bits, a),
    y = BigInt.asUintN(bits, b ?? 0n);
  const sh = y & BigInt(bits - 1);
  let r: bigint | undefined;
  switch (op) {
    case 0x00:
      r = x + y;
      break;
    case 0x10:
      r = x - y;
      break;
    case 0x20:
      r = x * y;
      break;
    case 0x30:
      r = y === 0n ? 0n : x / y;
      break;
    case 0x90:
      r = y === 0n ? x : x % y;
      break;
    case 0x40:
      r = x | y;
      break;
    case 0x50:
      r = x & y;
      break;
    case 0xa0:
      r = x ^ y;
      break;
    case 0x60:
      r = x << sh;
      break;
    case 0x70:
      r = x >> sh;
      break;
    case 0xc0:
      r = BigInt.asIntN(bits, x) >> sh;
      break;
    case 0x80:
      r = -x;
      break;
  }
  return r === undefined ? undefined : BigInt.asUintN(bits, r) & U64;
}

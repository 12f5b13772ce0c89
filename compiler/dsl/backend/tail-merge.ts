// Tail merging, the pass between register allocation and instruction selection: takes an IR Func
// over physical registers and rewrites it in place so that no two paths carry the same code to
// the same end. Blocks that return after the same last op (`r0 = 2; exit` at the end of every
// early return, of every unrolled iteration) share one return block; the ops every predecessor of
// a block ends with (they all jump to it) move into that block once; blocks that jump to the same
// block after the same ops share one copy of them; a block left empty is bypassed. Each step only
// deletes copies of instructions, so a path runs the same instructions (plus at most one jump).
import { type Block, type Func, type Op, type Term, rpo, successors } from "../ir.js";

export function mergeTails(f: Func): void {
  mergeReturns(f);
  sinkCommonTails(f);
  crossJump(f);
  bypassEmpty(f);
}

/** The same op, ignoring where in the source it came from. */
function sameOp(a: Op, b: Op): boolean {
  const ka = Object.keys(a).filter((k) => k !== "span");
  if (ka.length !== Object.keys(b).filter((k) => k !== "span").length) return false;
  const x = a as unknown as Record<string, unknown>,
    y = b as unknown as Record<string, unknown>;
  return ka.every((k) => {
    const u = x[k],
      v = y[k];
    return Array.isArray(u) && Array.isArray(v) ? u.length === v.length && u.every((e, i) => e === v[i]) : u === v;
  });
}

/** Blocks returning after the same last op jump to one block holding that op and the return. */
function mergeReturns(f: Func): void {
  const groups: Block[][] = [];
  for (const id of rpo(f)) {
    const b = f.blocks[id]!;
    const last = b.ops.at(-1);
    if (b.term.op !== "ret" || !last) continue;
    const g = groups.find((g) => sameOp(g[0]!.ops.at(-1)!, last) && sameTerm(g[0]!.term, b.term));
    if (g) g.push(b);
    else groups.push([b]);
  }
  for (const g of groups.filter((g) => g.length > 1)) {
    const id = f.blocks.length;
    f.blocks.push({ id, ops: [g[0]!.ops.at(-1)!], term: g[0]!.term });
    for (const b of g) {
      b.ops.pop();
      b.term = { op: "jmp", to: id, span: b.term.span };
    }
  }
}

const sameTerm = (a: Term, b: Term): boolean => a.op === "ret" && b.op === "ret" && a.val === b.val;

/** The op every predecessor of a block ends with (each jumping there) moves into the block. */
function sinkCommonTails(f: Func): void {
  const preds = new Map<number, number[]>();
  for (const id of rpo(f))
    for (const s of successors(f.blocks[id]!.term)) (preds.get(s) ?? preds.set(s, []).get(s)!).push(id);
  for (const [j, ps] of preds) {
    if (j === 0 || ps.length < 2 || ps.includes(j)) continue;
    const from = ps.map((p) => f.blocks[p]!);
    if (!from.every((b) => b.term.op === "jmp")) continue;
    const J = f.blocks[j]!;
    for (;;) {
      const last = from[0]!.ops.at(-1);
      if (!last || !from.every((b) => b.ops.length && sameOp(b.ops.at(-1)!, last))) break;
      for (const b of from) b.ops.pop();
      J.ops.unshift(last);
    }
  }
}

/**
 * Blocks that jump to the same block after the same ops (not every predecessor: a bounds check's
 * failure edge may be another) share one copy of those ops: the copy is one of the blocks when it
 * is all that block holds, else a new block that jumps on. Done where it saves two or more slots.
 */
function crossJump(f: Func): void {
  const byTarget = new Map<number, Block[]>();
  for (const id of rpo(f)) {
    const b = f.blocks[id]!;
    if (b.term.op === "jmp" && b.ops.length && b.term.to !== id)
      (byTarget.get(b.term.to) ?? byTarget.set(b.term.to, []).get(b.term.to)!).push(b);
  }
  for (const [to, from] of byTarget) {
    const groups: Block[][] = [];
    for (const b of from) {
      const g = groups.find((g) => sameOp(g[0]!.ops.at(-1)!, b.ops.at(-1)!));
      if (g) g.push(b);
      else groups.push([b]);
    }
    for (const g of groups.filter((g) => g.length > 1)) shareSuffix(f, g, to);
  }
}

function shareSuffix(f: Func, g: Block[], to: number): void {
  let k = 1;
  const min = Math.min(...g.map((b) => b.ops.length));
  while (k < min && g.every((b) => sameOp(b.ops.at(-k - 1)!, g[0]!.ops.at(-k - 1)!))) k++;
  const whole = g.find((b) => b.ops.length === k);
  if (!whole && (g.length - 1) * k < 2) return;
  let into = whole;
  if (!into) {
    into = { id: f.blocks.length, ops: g[0]!.ops.slice(-k), term: { op: "jmp", to, span: g[0]!.term.span } };
    f.blocks.push(into);
  }
  for (const b of g) {
    if (b === into) continue;
    b.ops.splice(b.ops.length - k, k);
    b.term = { op: "jmp", to: into.id, span: b.term.span };
  }
}

/** Edges into a block with no ops that only jumps go to where it jumps. */
function bypassEmpty(f: Func): void {
  const target = (id: number): number => {
    for (let n = 0; n < f.blocks.length; n++) {
      const b = f.blocks[id]!;
      if (b.ops.length || b.term.op !== "jmp" || b.term.to === id) return id;
      id = b.term.to;
    }
    return id;
  };
  for (const id of rpo(f)) {
    const b = f.blocks[id]!;
    const t = b.term;
    if (t.op === "jmp") b.term = { ...t, to: target(t.to) };
    else if (t.op === "br") b.term = { ...t, then: target(t.then), else: target(t.else) };
  }
}

// Register allocation: takes an IR function whose calls and returns were expanded to physical
// registers (expandCalls), and produces the same function with every virtual register replaced by
// r0..r9. Liveness → interference graph (a helper call defines r0..r5, so values live across a
// call land in callee-saved r6..r9) → move coalescing → greedy colouring with move preferences →
// spilling to the r10 stack when colouring fails. The 512-byte stack limit is checked by the caller.
import {
  type Block,
  type Func,
  type Op,
  type Reg,
  type Val,
  VREG0,
  allocStack,
  defs,
  mapTermUses,
  newVreg,
  rpo,
  successors,
  termUses,
  uses,
} from "../ir.js";

const FP = 10;

interface Graph {
  adj: Map<Reg, Set<Reg>>;
  moves: [Reg, Reg][];
}

const tracked = (r: Reg): boolean => r !== FP;

function liveness(f: Func, order: number[]): Map<number, Set<Reg>> {
  const liveIn = new Map<number, Set<Reg>>();
  const liveOut = new Map<number, Set<Reg>>();
  for (const id of order) {
    liveIn.set(id, new Set());
    liveOut.set(id, new Set());
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const id of [...order].reverse()) {
      const b = f.blocks[id]!;
      const out = new Set<Reg>();
      for (const s of successors(b.term)) for (const r of liveIn.get(s)!) out.add(r);
      liveOut.set(id, out);
      const live = liveAcross(b, out, () => {});
      if (live.size !== liveIn.get(id)!.size) {
        liveIn.set(id, live);
        changed = true;
      }
    }
  }
  return liveOut;
}

/** Walk a block backwards from its live-out set, calling `at(op, liveAfter)` for each op; returns live-in. */
function liveAcross(b: Block, liveOut: Set<Reg>, at: (o: Op, liveAfter: Set<Reg>) => void): Set<Reg> {
  const live = new Set(liveOut);
  for (const r of termUses(b.term)) if (tracked(r)) live.add(r);
  for (let i = b.ops.length - 1; i >= 0; i--) {
    const o = b.ops[i]!;
    at(o, live);
    for (const d of defs(o)) live.delete(d);
    for (const u of uses(o)) if (tracked(u)) live.add(u);
  }
  return live;
}

function buildGraph(f: Func, order: number[]): Graph {
  const liveOut = liveness(f, order);
  const g: Graph = { adj: new Map(), moves: [] };
  const edge = (a: Reg, b: Reg): void => {
    if (a === b || (a < VREG0 && b < VREG0)) return;
    node(g, a).add(b);
    node(g, b).add(a);
  };
  for (const id of order) {
    const b = f.blocks[id]!;
    liveAcross(b, liveOut.get(id)!, (o, live) => {
      // a 32-bit mov truncates: it is not a copy, so its source stays live and distinct
      const movSrc = o.op === "mov" && !o.w32 && typeof o.src === "number" ? o.src : undefined;
      if (movSrc !== undefined && tracked(movSrc)) g.moves.push([(o as { dst: Reg }).dst, movSrc]);
      for (const d of defs(o)) {
        node(g, d);
        for (const l of live) if (l !== movSrc) edge(d, l);
      }
      for (const u of uses(o)) if (tracked(u)) node(g, u);
    });
  }
  return g;
}

function node(g: Graph, r: Reg): Set<Reg> {
  let s = g.adj.get(r);
  if (!s) g.adj.set(r, (s = new Set()));
  return s;
}

/** Spill temporaries: short-lived, never coalesced, coloured first (infinite spill cost). */
const spillTemps = new WeakMap<Func, Set<Reg>>();

/** Union-find coalescing of move-related registers that do not interfere. */
function coalesce(g: Graph, temps: Set<Reg>): Map<Reg, Reg> {
  const parent = new Map<Reg, Reg>();
  const find = (r: Reg): Reg => {
    while (parent.has(r)) r = parent.get(r)!;
    return r;
  };
  for (const [d, s] of g.moves) {
    if (temps.has(d) || temps.has(s)) continue;
    let a = find(d),
      b = find(s);
    if (a === b || (a < VREG0 && b < VREG0)) continue;
    if (b < VREG0) [a, b] = [b, a]; // keep a physical register as the representative
    const na = node(g, a),
      nb = node(g, b);
    if (na.has(b)) continue;
    parent.set(b, a);
    for (const n of nb) {
      na.add(n);
      node(g, n).delete(b);
      node(g, n).add(a);
    }
  }
  return parent;
}

const ORDER_TEMP = [1, 2, 3, 4, 5, 0, 6, 7, 8, 9];

function color(g: Graph, parent: Map<Reg, Reg>, temps: Set<Reg>): { colors: Map<Reg, Reg>; failed: Reg[] } {
  const find = (r: Reg): Reg => {
    while (parent.has(r)) r = parent.get(r)!;
    return r;
  };
  const colors = new Map<Reg, Reg>();
  const prefs = new Map<Reg, Reg[]>();
  for (const [d, s] of g.moves) {
    const a = find(d),
      b = find(s);
    if (a === b) continue;
    (prefs.get(a) ?? prefs.set(a, []).get(a)!).push(b);
    (prefs.get(b) ?? prefs.set(b, []).get(b)!).push(a);
  }
  const nodes = [...g.adj.keys()].filter((r) => r >= VREG0 && !parent.has(r));
  const rank = (r: Reg): number => (temps.has(r) ? 1 << 20 : 0) + g.adj.get(r)!.size;
  nodes.sort((x, y) => rank(y) - rank(x) || x - y);
  const failed: Reg[] = [];
  const colorOf = (r: Reg): Reg | undefined => (r < VREG0 ? r : colors.get(find(r)));
  for (const n of nodes) {
    const forbidden = new Set<Reg>();
    for (const m of g.adj.get(n)!) {
      const c = colorOf(m);
      if (c !== undefined) forbidden.add(c);
    }
    const pref = (prefs.get(n) ?? []).map(colorOf).find((c) => c !== undefined && !forbidden.has(c));
    const c = pref ?? ORDER_TEMP.find((r) => !forbidden.has(r));
    if (c === undefined) failed.push(n);
    else colors.set(n, c);
  }
  return { colors, failed };
}

/** Replace every occurrence (use or def) of register `from` in an op. */
function renameOp(o: Op, from: Reg, to: Reg): Op {
  const r = (x: Reg): Reg => (x === from ? to : x);
  const v = (x: Val): Val => (x === from ? to : x);
  switch (o.op) {
    case "mov":
      return { ...o, dst: r(o.dst), src: v(o.src) };
    case "alu":
      return { ...o, dst: r(o.dst), a: v(o.a), b: v(o.b) };
    case "swap":
      return { ...o, dst: r(o.dst), src: r(o.src) };
    case "load":
      return { ...o, dst: r(o.dst), base: r(o.base) };
    case "store":
      return { ...o, base: r(o.base), src: v(o.src) };
    case "xadd":
      return { ...o, base: r(o.base), src: r(o.src) };
    case "ldmap":
    case "frame":
      return { ...o, dst: r(o.dst) };
    case "call":
      return { ...o, dst: o.dst === undefined ? undefined : r(o.dst), args: o.args.map(v) };
    case "callp":
      return o;
  }
}

function spill(f: Func, reg: Reg, temps: Set<Reg>): void {
  const slot = allocStack(f, 8);
  const temp = (): Reg => {
    const t = newVreg(f);
    temps.add(t);
    return t;
  };
  for (const b of f.blocks) {
    const out: Op[] = [];
    for (const o of b.ops) {
      const u = uses(o).includes(reg),
        d = defs(o).includes(reg);
      if (!u && !d) {
        out.push(o);
        continue;
      }
      const t = temp();
      if (u) out.push({ op: "load", dst: t, base: FP, off: slot, size: 8, span: o.span });
      out.push(renameOp(o, reg, t));
      if (d) out.push({ op: "store", base: FP, off: slot, src: t, size: 8, span: o.span });
    }
    if (termUses(b.term).includes(reg)) {
      const t = temp();
      out.push({ op: "load", dst: t, base: FP, off: slot, size: 8, span: b.term.span });
      b.term = mapTermUses(b.term, (x) => (x === reg ? t : x));
    }
    b.ops = out;
  }
}

/** Allocate registers in place. Returns false when it cannot (spilling did not converge). */
export function allocate(f: Func): boolean {
  const temps = spillTemps.get(f) ?? new Set<Reg>();
  spillTemps.set(f, temps);
  const spillBase = f.stack; // spill slots are allocated below the statement scratch
  for (let round = 0; round < 16; round++) {
    const order = rpo(f);
    const g = buildGraph(f, order);
    const parent = coalesce(g, temps);
    const { colors, failed } = color(g, parent, temps);
    if (failed.length) {
      const find = (r: Reg): Reg => {
        while (parent.has(r)) r = parent.get(r)!;
        return r;
      };
      const members = [...g.adj.keys()].filter((r) => r >= VREG0 && !temps.has(r) && failed.includes(find(r)));
      if (!members.length) return false;
      for (const r of members) spill(f, r, temps);
      continue;
    }
    const phys = (r: Reg): Reg => {
      if (r < VREG0) return r;
      let x = r;
      while (parent.has(x)) x = parent.get(x)!;
      return x < VREG0 ? x : (colors.get(x) ?? 0);
    };
    rewrite(f, phys);
    if (f.stack > spillBase) packSpillSlots(f, spillBase);
    return true;
  }
  return false;
}

function rewrite(f: Func, phys: (r: Reg) => Reg): void {
  for (const b of f.blocks) {
    b.ops = b.ops
      .map((o) => {
        let x = o;
        // renaming one vreg at a time is safe: targets are physical (< VREG0) and never collide with vregs
        for (const r of new Set([...uses(o), ...defs(o)])) if (r >= VREG0) x = renameOp(x, r, phys(r));
        return x;
      })
      .filter((o) => !(o.op === "mov" && o.src === o.dst && !o.w32));
    b.term = mapTermUses(b.term, (r) => phys(r));
  }
  f.ctx = phys(f.ctx);
}

/** Give spill slots whose values are never live at the same time the same stack offset (each
 * spilled register got its own slot; a program with many short-lived spills overflowed 512 bytes). */
function packSpillSlots(f: Func, base: number): void {
  const isSlot = (o: Op): number | undefined =>
    (o.op === "load" || o.op === "store") && o.base === FP && o.size === 8 && o.off < -base ? o.off : undefined;
  const order = rpo(f);
  const liveIn = new Map<number, Set<number>>(order.map((id) => [id, new Set<number>()]));
  const interfere = new Map<number, Set<number>>();
  const edge = (a: number, b: number): void => {
    if (a === b) return;
    (interfere.get(a) ?? interfere.set(a, new Set()).get(a)!).add(b);
    (interfere.get(b) ?? interfere.set(b, new Set()).get(b)!).add(a);
  };
  const walk = (id: number, record: boolean): Set<number> => {
    const b = f.blocks[id]!;
    const live = new Set<number>();
    for (const s of successors(b.term)) for (const x of liveIn.get(s) ?? []) live.add(x);
    for (let i = b.ops.length - 1; i >= 0; i--) {
      const o = b.ops[i]!,
        slot = isSlot(o);
      if (slot === undefined) continue;
      if (record) interfere.get(slot) ?? interfere.set(slot, new Set());
      if (o.op === "store") {
        if (record) for (const x of live) edge(slot, x);
        live.delete(slot);
      } else live.add(slot);
    }
    if (record) for (const x of live) for (const y of live) edge(x, y);
    return live;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const id of [...order].reverse()) {
      const live = walk(id, false);
      if (live.size !== liveIn.get(id)!.size) {
        liveIn.set(id, live);
        changed = true;
      }
    }
  }
  for (const id of order) walk(id, true);
  const color = new Map<number, number>();
  for (const slot of [...interfere.keys()].sort((a, b) => b - a)) {
    const used = new Set([...interfere.get(slot)!].map((x) => color.get(x)));
    let c = 0;
    while (used.has(c)) c++;
    color.set(slot, c);
  }
  const offset = (slot: number): number => -(base + 8 * (color.get(slot)! + 1));
  for (const b of f.blocks)
    b.ops = b.ops.map((o) => {
      const slot = isSlot(o);
      return slot === undefined ? o : { ...o, off: offset(slot) };
    });
  f.stack = base + 8 * (color.size ? Math.max(...color.values()) + 1 : 0);
}

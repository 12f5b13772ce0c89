// The DSL back end's intermediate representation: a function of basic blocks over virtual
// registers. Produced by lower/, rewritten by backend/optimize.ts, coloured by
// backend/regalloc.ts and turned into Insn[] by backend/select.ts. A `Val` is a register (a JS
// number: 0..10 physical, >= VREG0 virtual)
// or an immediate (a JS bigint), so operands need no wrapper objects.
import type { Span } from "../span.js";
import type { Cond } from "../isa/cond.js";

export type Reg = number;
export type Val = Reg | bigint;
export const VREG0 = 16;
export const isImm = (v: Val): v is bigint => typeof v === "bigint";
export const isVreg = (v: Val): v is number => typeof v === "number" && v >= VREG0;

export type AluOp =
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "sdiv"
  | "mod"
  | "smod"
  | "or"
  | "and"
  | "xor"
  | "lsh"
  | "rsh"
  | "arsh"
  | "neg";
export type { Cond } from "../isa/cond.js";
export type Size = 1 | 2 | 4 | 8;

export type Op =
  | { op: "mov"; dst: Reg; src: Val; w32?: boolean; span?: Span }
  | { op: "alu"; alu: AluOp; dst: Reg; a: Val; b: Val; w32: boolean; span?: Span }
  | { op: "swap"; dst: Reg; src: Reg; bits: 16 | 32 | 64; span?: Span }
  | { op: "load"; dst: Reg; base: Reg; off: number; size: Size; span?: Span }
  | { op: "store"; base: Reg; off: number; src: Val; size: Size; span?: Span }
  /** `lock *(base + off) op= src` (BPF_ATOMIC): add unless `alu` says or/and/xor. */
  | { op: "xadd"; base: Reg; off: number; src: Reg; size: 4 | 8; alu?: "or" | "and" | "xor"; span?: Span }
  | { op: "ldmap"; dst: Reg; map: string; span?: Span }
  | { op: "frame"; dst: Reg; off: number; span?: Span }
  /** High level: args are moved to r1..r5 and the result taken from r0 by `expandCalls`. A BPF
   * helper by number, or (`func` set, `helper` 0) a BPF-to-BPF call of the subprogram `func`. */
  | { op: "call"; helper: number; func?: string; args: Val[]; dst?: Reg; span?: Span }
  /** Low level (after expandCalls): uses r1..r<nargs>, defines r0..r5. */
  | { op: "callp"; helper: number; func?: string; nargs: number; span?: Span };

export interface PktBound {
  /** Bytes from packet start that the success edge guarantees. */
  end: number;
  data: Reg; // register holding ctx->data (the pointer that is advanced)
  ptr: Reg; // register holding data + end (compared against data_end)
}

export type Term =
  | { op: "jmp"; to: number; span?: Span }
  | { op: "br"; cc: Cond; a: Val; b: Val; w32: boolean; then: number; else: number; span?: Span; bound?: PktBound }
  | { op: "ret"; val: Val; span?: Span };

export interface Block {
  id: number;
  ops: Op[];
  term: Term;
}

export interface Func {
  name: string;
  blocks: Block[]; // blocks[0] is the entry; ids index this array (dead blocks may remain, unreachable)
  nextVreg: number;
  /** Bytes of stack used below r10 (lowering's slots, then spills); must stay <= 512. */
  stack: number;
  ctx: Reg; // the vreg holding the context pointer (copied from r1 in the entry block)
  /** Real loops (lower/control.ts): the block their back edge goes to → the most times round (the
   * verifier-work estimate walks a loop whose counter it cannot follow that often). */
  loops?: Map<number, number>;
  /** The heads of the real loops that begin with a may_goto (backend/may-goto.ts inserts it). */
  mayGoto?: Set<number>;
}

export function newVreg(f: Func): Reg {
  return f.nextVreg++;
}

/** Reserve `size` bytes of stack aligned to `align`; returns the (negative) offset from r10. */
export function allocStack(f: Func, size: number, align = 8): number {
  f.stack = Math.ceil((f.stack + size) / align) * align;
  return -f.stack;
}

export function regsOf(vs: Val[]): Reg[] {
  return vs.filter((v): v is number => typeof v === "number");
}

/** Registers an op reads. */
export function uses(o: Op): Reg[] {
  switch (o.op) {
    case "mov":
      return regsOf([o.src]);
    case "alu":
      return regsOf(o.alu === "neg" ? [o.a] : [o.a, o.b]);
    case "swap":
      return [o.src];
    case "load":
      return [o.base];
    case "store":
      return regsOf([o.base, o.src]);
    case "xadd":
      return [o.base, o.src];
    case "ldmap":
    case "frame":
      return [];
    case "call":
      return regsOf(o.args);
    case "callp":
      return [1, 2, 3, 4, 5].slice(0, o.nargs);
  }
}

/** Registers an op writes. */
export function defs(o: Op): Reg[] {
  switch (o.op) {
    case "store":
    case "xadd":
      return [];
    case "call":
      return o.dst === undefined ? [] : [o.dst];
    case "callp":
      return [0, 1, 2, 3, 4, 5];
    default:
      return [o.dst];
  }
}

export function termUses(t: Term): Reg[] {
  if (t.op === "br") return regsOf([t.a, t.b]);
  if (t.op === "ret") return regsOf([t.val]);
  return [];
}

export function successors(t: Term): number[] {
  if (t.op === "jmp") return [t.to];
  if (t.op === "br") return t.then === t.else ? [t.then] : [t.then, t.else];
  return [];
}

/** Replace register operands (uses only) through `f`. */
export function mapUses(o: Op, f: (r: Reg) => Val): Op {
  const m = (v: Val): Val => (typeof v === "number" ? f(v) : v);
  const reg = (r: Reg): Reg => {
    const v = f(r);
    return typeof v === "number" ? v : r;
  };
  switch (o.op) {
    case "mov":
      return { ...o, src: m(o.src) };
    case "alu":
      return { ...o, a: m(o.a), b: m(o.b) };
    case "swap":
      return { ...o, src: reg(o.src) };
    case "load":
      return { ...o, base: reg(o.base) };
    case "store":
      return { ...o, base: reg(o.base), src: m(o.src) };
    case "xadd":
      return { ...o, base: reg(o.base), src: reg(o.src) };
    case "call":
      return { ...o, args: o.args.map(m) };
    default:
      return o;
  }
}

export function mapTermUses(t: Term, f: (r: Reg) => Val): Term {
  const m = (v: Val): Val => (typeof v === "number" ? f(v) : v);
  if (t.op === "br") return { ...t, a: m(t.a), b: m(t.b) };
  if (t.op === "ret") return { ...t, val: m(t.val) };
  return t;
}

/** The registers live into each block of `order` (read on some path from its start before any write). */
export function liveIns(f: Func, order: number[]): Map<number, Set<Reg>> {
  const liveIn = new Map<number, Set<Reg>>(order.map((id) => [id, new Set()]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const id of [...order].reverse()) {
      const b = f.blocks[id]!;
      const live = new Set<Reg>(termUses(b.term));
      for (const s of successors(b.term)) for (const r of liveIn.get(s) ?? []) live.add(r);
      for (let i = b.ops.length - 1; i >= 0; i--) {
        for (const d of defs(b.ops[i]!)) live.delete(d);
        for (const u of uses(b.ops[i]!)) live.add(u);
      }
      if (live.size !== liveIn.get(id)!.size) {
        liveIn.set(id, live);
        changed = true;
      }
    }
  }
  return liveIn;
}

/** Blocks reachable from the entry, in reverse post-order. */
export function rpo(f: Func): number[] {
  const seen = new Uint8Array(f.blocks.length);
  const out: number[] = [];
  // iterative depth-first search (a chain of thousands of blocks would overflow the JS stack)
  const stack: { b: number; next: number[]; i: number }[] = [{ b: 0, next: successors(f.blocks[0]!.term), i: 0 }];
  seen[0] = 1;
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const s = top.next[top.i++];
    if (s === undefined) {
      out.push(top.b);
      stack.pop();
    } else if (!seen[s]) {
      seen[s] = 1;
      stack.push({ b: s, next: successors(f.blocks[s]!.term), i: 0 });
    }
  }
  return out.reverse();
}

export function bswap(v: bigint, bits: 16 | 32 | 64): bigint {
  let r = 0n;
  let x = BigInt.asUintN(bits, v);
  for (let i = 0; i < bits / 8; i++) {
    r = (r << 8n) | (x & 0xffn);
    x >>= 8n;
  }
  return r;
}

const ATOMIC_SYM = { add: "+=", or: "|=", and: "&=", xor: "^=" } as const;

/** Debug dump of a function (used by tests and when things go wrong). */
export function printFunc(f: Func): string {
  const r = (v: Val): string => (typeof v === "bigint" ? String(v) : v >= VREG0 ? `v${v}` : `r${v}`);
  const op = (o: Op): string => {
    switch (o.op) {
      case "mov":
        return `${r(o.dst)} = ${o.w32 ? "(u32)" : ""}${r(o.src)}`;
      case "alu":
        return `${r(o.dst)} = ${o.alu}${o.w32 ? "32" : ""} ${r(o.a)}, ${r(o.b)}`;
      case "swap":
        return `${r(o.dst)} = be${o.bits} ${r(o.src)}`;
      case "load":
        return `${r(o.dst)} = *(u${o.size * 8} *)(${r(o.base)} + ${o.off})`;
      case "store":
        return `*(u${o.size * 8} *)(${r(o.base)} + ${o.off}) = ${r(o.src)}`;
      case "xadd":
        return `lock *(u${o.size * 8} *)(${r(o.base)} + ${o.off}) ${ATOMIC_SYM[o.alu ?? "add"]} ${r(o.src)}`;
      case "ldmap":
        return `${r(o.dst)} = map ${o.map}`;
      case "frame":
        return `${r(o.dst)} = r10 ${o.off}`;
      case "call":
        return `${o.dst === undefined ? "" : r(o.dst) + " = "}call ${o.func ?? o.helper}(${o.args.map(r).join(", ")})`;
      case "callp":
        return `call ${o.func ?? o.helper} /${o.nargs}`;
    }
  };
  const term = (t: Term): string =>
    t.op === "jmp"
      ? `goto b${t.to}`
      : t.op === "ret"
        ? `return ${r(t.val)}`
        : `if ${r(t.a)} ${t.cc}${t.w32 ? "32" : ""} ${r(t.b)} goto b${t.then} else b${t.else}${t.bound ? ` [pkt ${t.bound.end}]` : ""}`;
  return f.blocks
    .map((b) => [`b${b.id}:`, ...b.ops.map((o) => "  " + op(o)), "  " + term(b.term)].join("\n"))
    .join("\n");
}

// The lowering's core: takes one program (ast.ts FunctionDecl) and the lowering functions of the
// other modules (statements, expressions, conditions, as a `Lowering` table), and produces the IR
// Func they build through it. It owns the blocks and edges (each edge carries the flow facts of
// state.ts), the emission helpers, the packet pointers, the names in scope and the stack scratch.
// The other modules see it only as `LowerCtx`.
import type * as A from "../ast.js";
import { diag } from "../codes.js";
import type { Span } from "../../span.js";
import { type AluOp, type Block, type Cond, type Func, type Op, type Reg, type Val, VREG0, newVreg } from "../ir.js";
import { evalCond } from "../int-rule.js";
import { MAX_PROGRAM_BLOCKS, MAX_PROGRAM_OPS } from "../limits.js";
import { type Facts, PathFacts } from "./state.js";
import {
  type HeaderVal,
  type Int,
  type Local,
  LowerError,
  type LowerShared,
  U32,
  intOf,
  isIntLike,
  type PlaceVal,
} from "./types.js";

/** The lowering functions the modules call each other through (wired by lower.ts). */
export interface Lowering {
  value(L: LowerCtx, e: A.Expr): Val;
  object(L: LowerCtx, e: A.Expr): Local;
  cond(L: LowerCtx, e: A.Expr, t: Block, f: Block): void;
  stmt(L: LowerCtx, s: A.Stmt): void;
}

/** Where a `return` inside an inlined function goes: its value register and the join block. */
export interface RetCtx {
  reg: Reg;
  type: Int | undefined;
  join: number;
  /** A struct-valued function's result: a stack slot of the caller that `return` copies into. */
  place?: PlaceVal;
}

/** A statement break/continue may leave (lower/control.ts): its exit and the end of the current round. */
export interface JumpTo {
  stmt: A.Stmt;
  labels: string[];
  loop: boolean;
  brk?: Block;
  cont?: Block;
}

/** What the statement, expression and intrinsic modules use of the lowering. */
export interface LowerCtx {
  readonly f: Func;
  readonly prog: A.FunctionDecl;
  readonly shared: LowerShared;
  /** The facts on the current path (null checks, view epochs, constants, loaded fields). */
  readonly facts: Facts;
  /** The source span new ops and terminators get. */
  span: Span | undefined;
  /** The return target inside an inlined function (undefined: the program's own return). */
  ret: RetCtx | undefined;
  /** The type the function being lowered returns (a program: u32; undefined: void). */
  readonly retType: Int | undefined;
  /** Loop bodies unrolled so far in this function. */
  unrolled: number;
  /** may_goto's budget in this frame (lower/control.ts): the rounds of the real loops around the
   * current statement multiplied, and the rounds the may_goto loops lowered so far may take in all. */
  mayGoto: { around: number; used: number };
  /** The loops, switches and labelled statements around the current statement (this function's own). */
  jumps: JumpTo[];
  /** The register holding ctx->data (loaded in the prologue when the program touches the packet). */
  readonly data: Reg;

  value(e: A.Expr): Val;
  object(e: A.Expr): Local;
  cond(e: A.Expr, t: Block, f: Block): void;
  stmt(s: A.Stmt): void;

  newBlock(): Block;
  start(b: Block): void;
  jump(to: Block): void;
  branch(cc: Cond, a: Val, b: Val, t: Block, e: Block, w32?: boolean): void;
  decided(taken: Block, other: Block): void;
  returnWith(v: Val): void;
  checkBounds(view: HeaderVal, end: number, ifNull: Block, ifSome: Block): void;
  fail(message: string, span?: Span): never;

  reg(): Reg;
  emit(o: Op): void;
  alu(alu: AluOp, a: Val, b: Val, w32: boolean): Reg;
  load(base: Reg, off: number, size: number): Reg;
  ldmap(name: string): Reg;
  frame(off: number): Reg;
  storeInt(off: number, v: Val, size: number): void;
  swapVal(v: Val, bits: number): Val;
  boolFrom(cc: Cond, a: Val, b: Val): Val;
  scratch(size: number): number;
  /** The current statement's scratch stays allocated until its block ends (a struct variable's slot). */
  keepScratch(): void;
  within(span: Span, body: () => void): void;

  invalidatePacket(): void;
  pushFrame(fn: A.FunctionDecl, args: Local[]): void;
  /** Leave a function: its arguments and locals, out of reach from here on. */
  popFrame(): Local[];
  bind(b: A.Binding | undefined, l: Local): void;
  lookup(b: A.Binding | undefined, span: Span): Local;
  /** The local `b` (a variable of the current function) is bound to, if any. */
  bound(b: A.Binding): Local | undefined;
}

/** TSB9506's message: the function passed `what` (MAX_PROGRAM_OPS or _BLOCKS) at the statement of its own body
 * being lowered. */
function tooLarge(fn: A.FunctionDecl, what: string): string {
  const inlined = "once the functions it calls are inlined (those that log always are) and its loops unrolled";
  const fix = "call fewer functions inside loops, or make them smaller";
  return `'${fn.name}' is too large: it passes ${what} in this statement ${inlined}; ${fix}`;
}

export class LowerCore implements LowerCtx {
  readonly f: Func;
  readonly facts = new PathFacts();
  span: Span | undefined;
  ret: RetCtx | undefined;
  readonly retType: Int | undefined;
  unrolled = 0;
  mayGoto = { around: 1, used: 0 };
  jumps: JumpTo[] = [];
  data: Reg = -1;
  dataEnd: Reg = -1;
  private cur: Block;
  private env: { fn: A.FunctionDecl; args: Local[]; locals: Map<A.Binding, Local> }[] = [];
  private scratchTop = 0;
  private keepTop: number | undefined;
  /** Operations emitted so far: the function's size with its callees inlined and its loops unrolled. */
  private emitted = 0;
  /** The statement of the function's own body being lowered (not of a function inlined into it). */
  private ownSpan: Span | undefined;

  constructor(
    readonly prog: A.FunctionDecl,
    readonly shared: LowerShared,
    private readonly lowering: Lowering,
  ) {
    this.f = { name: prog.name, blocks: [], nextVreg: VREG0, stack: 0, ctx: 0 };
    this.span = prog.span; // prologue and fall-through code belong to the function's own line
    this.retType = prog.role === "xdp" ? U32 : isIntLike(prog.returnType) ? intOf(prog.returnType) : undefined;
    this.cur = this.newBlock();
  }

  value(e: A.Expr): Val {
    return this.lowering.value(this, e);
  }
  object(e: A.Expr): Local {
    return this.lowering.object(this, e);
  }
  cond(e: A.Expr, t: Block, f: Block): void {
    this.lowering.cond(this, e, t, f);
  }
  stmt(s: A.Stmt): void {
    this.lowering.stmt(this, s);
  }

  // ---------------------------------------------------------------- blocks and edges

  newBlock(): Block {
    if (this.f.blocks.length >= MAX_PROGRAM_BLOCKS) this.tooLarge(`${MAX_PROGRAM_BLOCKS} blocks`);
    const b: Block = { id: this.f.blocks.length, ops: [], term: { op: "ret", val: 0n, span: this.span } };
    this.f.blocks.push(b);
    return b;
  }

  /** Continue lowering in block b with the merged facts of its predecessors. */
  start(b: Block): void {
    this.cur = b;
    this.facts.enter(b.id);
  }

  jump(to: Block): void {
    this.cur.term = { op: "jmp", to: to.id, span: this.span };
    this.facts.flowTo(to.id);
  }

  branch(cc: Cond, a: Val, b: Val, t: Block, e: Block, w32 = false): void {
    if (typeof a === "bigint" && typeof b === "bigint") {
      // decided at compile time (the optimiser would fold it anyway; keep the facts precise)
      const taken = evalCond(cc, a, b, false);
      return this.decided(taken ? t : e, taken ? e : t);
    }
    this.cur.term = { op: "br", cc, a, b, w32, then: t.id, else: e.id, span: this.span };
    this.facts.flowTo(t.id);
    this.facts.flowTo(e.id);
  }

  /** A branch decided at compile time: the other side is unreachable but keeps this path's facts. */
  decided(taken: Block, other: Block): void {
    this.facts.flowDead(other.id);
    this.jump(taken);
  }

  returnWith(v: Val): void {
    this.cur.term = { op: "ret", val: v, span: this.span };
  }

  /** `data + end > data_end` → ifNull, else ifSome, where `view`'s first `end` bytes are proven. */
  checkBounds(view: HeaderVal, end: number, ifNull: Block, ifSome: Block): void {
    const p = this.alu("add", view.base, BigInt(end), false);
    const bound = view.varBase ? undefined : { end, data: view.base, ptr: p };
    const [then, els] = [ifNull.id, ifSome.id];
    this.cur.term = { op: "br", cc: "gt", a: p, b: this.dataEnd, w32: false, then, else: els, span: this.span, bound };
    this.facts.flowTo(ifNull.id);
    this.facts.flowChecked(ifSome.id, view, end);
  }

  private tooLarge(what: string): never {
    throw new LowerError(diag("programSize", tooLarge(this.prog, what), this.ownSpan));
  }

  fail(message: string, span?: Span): never {
    throw new LowerError(diag("lowering", message, span ?? this.span));
  }

  // ---------------------------------------------------------------- emission

  reg(): Reg {
    return newVreg(this.f);
  }

  emit(o: Op): void {
    if (++this.emitted > MAX_PROGRAM_OPS) this.tooLarge(`${MAX_PROGRAM_OPS} operations`);
    this.cur.ops.push(this.span && !o.span ? { ...o, span: this.span } : o);
  }

  /** A fresh register holding `a op b`. */
  alu(alu: AluOp, a: Val, b: Val, w32: boolean): Reg {
    const d = this.reg();
    this.emit({ op: "alu", alu, dst: d, a, b, w32 });
    return d;
  }

  load(base: Reg, off: number, size: number): Reg {
    const d = this.reg();
    this.emit({ op: "load", dst: d, base, off, size: size as 1 | 2 | 4 | 8 });
    return d;
  }

  ldmap(name: string): Reg {
    const r = this.reg();
    this.emit({ op: "ldmap", dst: r, map: name });
    return r;
  }

  frame(off: number): Reg {
    const r = this.reg();
    this.emit({ op: "frame", dst: r, off });
    return r;
  }

  /** Store an integer of `size` bytes at r10+off, splitting where the stack slot is misaligned. */
  storeInt(off: number, v: Val, size: number): void {
    if ((size === 1 || size === 2 || size === 4 || size === 8) && off % size === 0) {
      return this.emit({ op: "store", base: 10, off, src: v, size });
    }
    for (let done = 0; done < size; ) {
      const chunk = [4, 2, 1].find((c) => c <= size - done && (off + done) % c === 0)!;
      let part: Val;
      if (typeof v === "bigint") part = BigInt.asUintN(chunk * 8, v >> BigInt(done * 8));
      else part = done ? this.alu("rsh", v, BigInt(done * 8), false) : v;
      this.emit({ op: "store", base: 10, off: off + done, src: part, size: chunk as 1 | 2 | 4 });
      done += chunk;
    }
  }

  /** v with its low `bits` bits in the other byte order. */
  swapVal(v: Val, bits: number): Val {
    if (bits === 8) return v;
    if (typeof v === "bigint") {
      let r = 0n,
        x = BigInt.asUintN(bits, v);
      for (let i = 0; i < bits / 8; i++) {
        r = (r << 8n) | (x & 0xffn);
        x >>= 8n;
      }
      return r;
    }
    const d = this.reg();
    this.emit({ op: "swap", dst: d, src: v, bits: bits as 16 | 32 | 64 });
    return d;
  }

  /** 1 when `a cc b`, else 0. */
  boolFrom(cc: Cond, a: Val, b: Val): Val {
    if (typeof a === "bigint" && typeof b === "bigint") return evalCond(cc, a, b, false) ? 1n : 0n;
    const d = this.reg();
    const f = this.newBlock(),
      j = this.newBlock();
    this.emit({ op: "mov", dst: d, src: 1n });
    this.branch(cc, a, b, j, f);
    this.start(f);
    this.emit({ op: "mov", dst: d, src: 0n });
    this.jump(j);
    this.start(j);
    return d;
  }

  /** Stack bytes for a helper call's key/value/record; released after the statement. */
  scratch(size: number): number {
    this.scratchTop = Math.ceil((this.scratchTop + size) / 8) * 8;
    this.f.stack = Math.max(this.f.stack, this.scratchTop);
    return -this.scratchTop;
  }

  keepScratch(): void {
    this.keepTop = this.scratchTop;
  }

  /** Lower one statement: its ops get its span, its scratch is free after it (unless kept). */
  within(span: Span, body: () => void): void {
    const [saved, own] = [this.span, this.ownSpan],
      top = this.scratchTop,
      keep = this.keepTop;
    this.span = span;
    if (this.env.length <= 1) this.ownSpan = span;
    this.keepTop = undefined;
    try {
      body();
    } finally {
      [this.span, this.ownSpan] = [saved, own];
      this.scratchTop = this.keepTop ?? top; // calls inside arguments nest their scratch above
      this.keepTop = keep;
    }
  }

  // ---------------------------------------------------------------- packet pointers

  /** data and data_end from the context (registers allocated at the first load). */
  loadPacket(): void {
    if (this.data < 0) {
      this.data = this.reg();
      this.dataEnd = this.reg();
    }
    this.emit({ op: "load", dst: this.data, base: this.f.ctx, off: 0, size: 4 });
    this.emit({ op: "load", dst: this.dataEnd, base: this.f.ctx, off: 4, size: 4 });
  }

  /** After bpf_xdp_adjust_head/tail: header views are stale, reload data/data_end. */
  invalidatePacket(): void {
    this.facts.invalidatePacket();
    this.loadPacket();
  }

  // ---------------------------------------------------------------- names in scope

  pushFrame(fn: A.FunctionDecl, args: Local[]): void {
    this.env.push({ fn, args, locals: new Map() });
  }

  popFrame(): Local[] {
    const frame = this.env.pop();
    return frame ? [...frame.args, ...frame.locals.values()] : [];
  }

  bind(b: A.Binding | undefined, l: Local): void {
    if (!b) this.fail("internal: unbound declaration");
    const locals = this.env[this.env.length - 1]!.locals;
    const old = locals.get(b);
    if (old) this.facts.forget([old]); // the declaration runs again (an unrolled loop): the old local is out of reach
    locals.set(b, l);
  }

  bound(b: A.Binding): Local | undefined {
    return this.env[this.env.length - 1]?.locals.get(b);
  }

  lookup(b: A.Binding | undefined, span: Span): Local {
    const frame = this.env[this.env.length - 1];
    if (b?.kind === "global") {
      const g = b.global; // its section's value (BPF_PSEUDO_MAP_VALUE), at its offset
      const fixed = !g.mutable && !g.config ? { fixed: { bytes: g.init, at: g.offset } } : {};
      return { k: "place", type: b.type, base: this.ldmap(g.section), off: g.offset, atomic: g.mutable, ...fixed };
    }
    if (b?.kind === "param") {
      for (let i = this.env.length - 1; i >= 0; i--) {
        const a = this.env[i]!.fn === b.func ? this.env[i]!.args[b.index] : undefined;
        if (a) return a;
      }
    } else if (b && frame) {
      const l = frame.locals.get(b);
      if (l) return l;
    }
    return this.fail("internal: unresolved name", span);
  }
}

// Lowering: takes one checked XDP program (ast.ts FunctionDecl after checkProgram) and produces an
// IR Func (ir.ts) over virtual registers. Integer values follow int-rule.ts (lowered by
// int.ts): 64-bit values, narrowed where they are stored. Helper functions are inlined; for-loops are unrolled while their test
// folds to a constant. `ctx.header(T, off)` produces no code by itself: its null test becomes the
// bounds check `data + off + sizeof(T) > data_end`, and field reads are only accepted where such
// a check dominates them (otherwise a diagnostic), so the verifier never sees an unchecked access.
import type * as A from "../ast.js";
import { HEADERS, HELPERS, INT_TYPES } from "../catalog.js";
import { error, type Diagnostic } from "../../diagnostics.js";
import type { LogFormat, MapDef } from "../../object.js";
import type { Span } from "../../span.js";
import { type AluOp, type Block, type Cond, type Func, type Op, type Reg, type Val, VREG0, newVreg } from "../ir.js";
import { evalCond, inDomain, type ArithOp } from "../int-rule.js";
import { binaryValue, compareConst, comparison, compound, lowBits, narrowTo, narrowVal, unaryValue } from "./int.js";
import { lowerLog } from "./logs.js";
import { lowerMapMethod } from "./maps.js";

type Int = A.IntType;
const U64 = INT_TYPES.u64, U32 = INT_TYPES.u32, U8 = INT_TYPES.u8, I32 = INT_TYPES.i32;

/** A bounds-checked packet view: the bytes [base + off, base + off + size). */
/** Loop bodies unrolled in one function, nested loops and inlined helpers included. */
const MAX_UNROLLED = 8192;

/** Largest variable header offset: beyond any XDP packet's linear data, and + a header size <= 0xffff. */
const VAR_OFF_MAX = 0xff00n;

export interface HeaderVal { k: "hdr"; header: string; base: Reg; off: number; size: number; epoch: number; varBase: boolean }
/** A map value pointer from `map.get(k)` (0 when absent). */
/** A map value: `ptr` from the lookup (null when absent) and, for `get`, the value read at the call. */
export interface MapValPtr { k: "mapval"; ptr: Reg; type: Int; val?: Reg }
export type Local = { k: "int"; reg: Reg; type: Int; mutable: boolean } | { k: "const"; v: Val; type: Int } | HeaderVal | MapValPtr | { k: "ctx" };

/** What holds on the current path: proven packet range, checked views, constant locals, header fields already read. */
/** Facts on one path; `epoch` changes at each adjustHead/adjustTail (older header views are stale). */
interface State { range: number; checked: Set<HeaderVal>; consts: Map<Local, bigint>; loads: Map<string, Val>; epoch: number; dead?: boolean; never?: boolean }

interface RetCtx { reg: Reg; type: Int | undefined; join: number }

export class LowerError extends Error {
  constructor(readonly diag: Diagnostic) { super(diag.message); }
}

export interface LowerShared {
  maps: Map<string, MapDef>;
  logFormats: LogFormat[];
  usesLogs: boolean;
}

export const LOG_MAP = "TSEBPF_LOGS";

export class Lowerer {
  readonly f: Func;
  cur: Block;
  state: State = { range: 0, checked: new Set(), consts: new Map(), loads: new Map(), epoch: 0 };
  private unrolled = 0; // loop bodies unrolled so far (MAX_UNROLLED)
  private pending = new Map<number, State>();
  private env: { fn: A.FunctionDecl; args: Local[]; locals: Map<A.Binding, Local> }[] = [];
  private ret: RetCtx | undefined;
  private epochs = 0; // the last epoch handed out
  private data: Reg = -1;
  private dataEnd: Reg = -1;
  private scratchTop = 0;
  span: Span | undefined;

  constructor(readonly prog: A.FunctionDecl, readonly shared: LowerShared) {
    this.f = { name: prog.name, blocks: [], nextVreg: VREG0, stack: 0, ctx: 0 };
    this.span = prog.span; // prologue and fall-through code belong to the function's own line
    this.cur = this.newBlock();
    this.pending.set(0, this.state);
  }

  // ---------------------------------------------------------------- blocks and state

  newBlock(): Block {
    const b: Block = { id: this.f.blocks.length, ops: [], term: { op: "ret", val: 0n, span: this.span } };
    this.f.blocks.push(b);
    return b;
  }

  reg(): Reg { return newVreg(this.f); }

  emit(o: Op): void { this.cur.ops.push(this.span && !o.span ? { ...o, span: this.span } : o); }

  private flow(to: number, s: State): void {
    // unreachable code proves nothing for live successors, but keeps its own facts (loop counters) going
    if (s.never) return; // after a return: no path at all
    const p = this.pending.get(to);
    if (!p || (p.dead && !s.dead)) { this.pending.set(to, copyState(s)); return; }
    if (s.dead && !p.dead) return;
    p.range = Math.min(p.range, s.range);
    if (p.epoch !== s.epoch) p.epoch = ++this.epochs; // adjusted on some path: views from before are stale
    for (const h of p.checked) if (!s.checked.has(h)) p.checked.delete(h);
    for (const [k, v] of p.consts) if (s.consts.get(k) !== v) p.consts.delete(k);
    for (const [k, v] of p.loads) if (s.loads.get(k) !== v) p.loads.delete(k);
  }

  jump(to: Block): void {
    this.cur.term = { op: "jmp", to: to.id, span: this.span };
    this.flow(to.id, this.state);
  }

  branch(cc: Cond, a: Val, b: Val, t: Block, e: Block, w32 = false): void {
    if (typeof a === "bigint" && typeof b === "bigint") {
      // decided at compile time (the optimiser would fold it anyway; keep state precise)
      const taken = evalCond(cc, a, b, false);
      return this.decided(taken ? t : e, taken ? e : t);
    }
    this.cur.term = { op: "br", cc, a, b, w32, then: t.id, else: e.id, span: this.span };
    this.flow(t.id, this.state);
    this.flow(e.id, this.state);
  }

  /** A branch decided at compile time: the other side is unreachable but keeps this path's facts. */
  decided(taken: Block, other: Block): void {
    this.flow(other.id, { ...this.state, dead: true });
    this.jump(taken);
  }

  /** Continue lowering in block b with the merged state of its predecessors. */
  start(b: Block): void {
    this.cur = b;
    const p = this.pending.get(b.id);
    this.state = p ? copyState(p) : { range: 1 << 30, checked: new Set(), consts: new Map(), loads: new Map(), epoch: 0, dead: true, never: true };
  }

  fail(message: string, span?: Span): never {
    throw new LowerError(error("TSB9501", message, span ?? this.span));
  }

  /** Stack bytes for a helper call's key/value/record; released after the statement. */
  scratch(size: number): number {
    this.scratchTop = Math.ceil((this.scratchTop + size) / 8) * 8;
    this.f.stack = Math.max(this.f.stack, this.scratchTop);
    return -this.scratchTop;
  }

  // ---------------------------------------------------------------- entry

  lowerProgram(): Func {
    const ctx = this.reg();
    this.f.ctx = ctx;
    this.emit({ op: "mov", dst: ctx, src: 1 });
    this.bindParams(this.prog, [{ k: "ctx" }]);
    if (usesPacket(this.prog.body)) this.loadPacket();
    this.stmt(this.prog.body); // falling off the end returns 0 (XDP_ABORTED); the checker requires a return
    return this.f;
  }

  private bindParams(fn: A.FunctionDecl, args: Local[]): void {
    this.env.push({ fn, args, locals: new Map() });
  }

  private loadPacket(): void {
    if (this.data < 0) { this.data = this.reg(); this.dataEnd = this.reg(); }
    this.emit({ op: "load", dst: this.data, base: this.f.ctx, off: 0, size: 4 });
    this.emit({ op: "load", dst: this.dataEnd, base: this.f.ctx, off: 4, size: 4 });
  }

  /** After bpf_xdp_adjust_head/tail: header views are stale, reload data/data_end. */
  invalidatePacket(): void {
    this.state.epoch = ++this.epochs;
    this.state.range = 0;
    this.state.checked.clear();
    this.state.loads.clear();
    if (this.data >= 0) this.loadPacket();
  }

  // ---------------------------------------------------------------- statements

  stmt(s: A.Stmt): void {
    const saved = this.span, top = this.scratchTop;
    this.span = s.span;
    try {
      this.stmtInner(s);
    } finally {
      this.span = saved;
      this.scratchTop = top; // scratch of a statement is free after it (calls inside arguments nest above)
    }
  }

  private stmtInner(s: A.Stmt): void {
    switch (s.kind) {
      case "Block": for (const x of s.body) this.stmt(x); return;
      case "VarDecl": return this.varDecl(s);
      case "Assign": return this.assign(s);
      case "If": return this.ifStmt(s);
      case "Return": return this.returnStmt(s);
      case "For": return this.forStmt(s);
      case "ExprStmt": this.effect(s.expr); return;
      case "Unsupported": this.fail(`unsupported statement: ${s.what}`, s.span);
    }
  }

  private bind(b: A.Binding | undefined, l: Local): void {
    if (!b) this.fail("internal: unbound declaration");
    this.env[this.env.length - 1]!.locals.set(b, l);
  }

  lookup(b: A.Binding | undefined, span: Span): Local {
    const frame = this.env[this.env.length - 1];
    if (b?.kind === "param") {
      for (let i = this.env.length - 1; i >= 0; i--) if (this.env[i]!.fn === b.func) { const a = this.env[i]!.args[b.index]; if (a) return a; }
    } else if (b && frame) {
      const l = frame.locals.get(b);
      if (l) return l;
    }
    return this.fail("internal: unresolved name", span);
  }

  private varDecl(s: A.VarDecl): void {
    if (!s.init) this.fail(`'${s.name}' needs an initial value`, s.span);
    const t = s.binding && "type" in s.binding ? s.binding.type : s.init.type;
    if (t?.kind === "int" || t?.kind === "bool" || t?.kind === "action") {
      const ty = intOf(t);
      const v = narrowTo(this, s.init, ty);
      if (!s.mutable && typeof v === "bigint") return this.bind(s.binding, { k: "const", v, type: ty });
      const reg = this.reg();
      this.emit({ op: "mov", dst: reg, src: v });
      const l: Local = { k: "int", reg, type: ty, mutable: s.mutable };
      this.bind(s.binding, l);
      if (typeof v === "bigint") this.state.consts.set(l, v);
      return;
    }
    if (s.mutable) this.fail(`'${s.name}' must be const: only integer variables can be reassigned`, s.span);
    this.bind(s.binding, this.object(s.init));
  }

  private assign(s: A.Assign): void {
    if (s.target.kind === "MemberExpr" && s.target.member?.kind === "headerField") return this.fieldAssign(s, s.target, s.target.member);
    if (s.target.kind !== "Identifier") this.fail("only local variables and header fields can be assigned (map writes use methods)", s.target.span);
    const l = this.lookup(s.target.binding, s.target.span);
    if (l.k !== "int" || !l.mutable) this.fail(`'${s.target.name}' cannot be assigned`, s.target.span);
    let v: Val;
    if (s.op === "=") v = narrowTo(this, s.value, l.type);
    else v = compound(this, s.op.slice(0, -1) as ArithOp, this.known(l), l.type, s.value);
    this.emit({ op: "mov", dst: l.reg, src: v });
    if (typeof v === "bigint") this.state.consts.set(l, v);
    else this.state.consts.delete(l);
  }

  private known(l: Local & { k: "int" }): Val {
    const c = this.state.consts.get(l);
    return c ?? l.reg;
  }

  private ifStmt(s: A.If): void {
    const t = this.newBlock(), join = this.newBlock();
    const e = s.else ? this.newBlock() : join;
    this.cond(s.test, t, e);
    this.start(t);
    this.stmt(s.then);
    this.jump(join);
    if (s.else) {
      this.start(e);
      this.stmt(s.else);
      this.jump(join);
    }
    this.start(join);
  }

  private returnStmt(s: A.Return): void {
    if (this.ret) {
      if (s.value && this.ret.type) this.emit({ op: "mov", dst: this.ret.reg, src: narrowTo(this, s.value, this.ret.type) });
      else if (s.value) this.effect(s.value);
      this.jump(this.f.blocks[this.ret.join]!);
    } else {
      const v = s.value ? narrowTo(this, s.value, U32) : 0n;
      this.cur.term = { op: "ret", val: v, span: this.span };
    }
    this.start(this.newBlock()); // unreachable code after return
  }

  private forStmt(s: A.For): void {
    if (s.init) this.stmt(s.init);
    for (let n = 0; ; n++) {
      if (this.state.never) return; // no path gets here (code after a return, or the body always returns)
      if (n > 1024) this.fail("loop runs more than 1024 times; the compiler unrolls loops", s.span);
      if (++this.unrolled > MAX_UNROLLED) this.fail(`nested loops run their bodies more than ${MAX_UNROLLED} times in all; the compiler unrolls loops`, s.span);
      if (s.test) {
        const c = this.constCond(s.test);
        if (c === undefined) this.fail("loop condition must be decidable at compile time (a constant-bounded counter)", s.test.span);
        if (!c) break;
      }
      this.stmt(s.body);
      if (s.update) this.stmt(s.update);
    }
  }

  /** A comparison whose operands fold to constants on this path (loop tests), else undefined. */
  private constCond(e: A.Expr): boolean | undefined {
    if (e.constValue !== undefined) return e.constValue !== 0n;
    if (e.kind !== "BinaryExpr" || !isCompare(e.op)) return undefined;
    const a = this.value(e.left), b = this.value(e.right);
    if (typeof a !== "bigint" || typeof b !== "bigint") return undefined;
    return compareConst(e, a, b);
  }

  // ---------------------------------------------------------------- expressions: effects and objects

  /** Evaluate for side effects only. */
  effect(e: A.Expr): void {
    if (e.kind === "CallExpr") { this.call(e); return; }
    this.value(e);
  }

  /** Lower an expression of a non-integer type (header view, map value, ctx). */
  object(e: A.Expr): Local {
    if (e.kind === "Identifier") return this.lookup(e.binding, e.span);
    if (e.kind === "CallExpr") {
      const r = this.call(e);
      if (r && typeof r === "object") return r;
    }
    return this.fail("unsupported expression here", e.span);
  }

  /** Lower a call; returns an integer value, an object (header/map value), or undefined (void). */
  call(e: A.CallExpr): Val | Local | undefined {
    const c = e.callee;
    if (!c) return this.fail("internal: unresolved call", e.span);
    switch (c.kind) {
      case "log": lowerLog(this, c, e.span); return undefined;
      case "format": return this.fail(`${c.format}() is only valid inside a log message`, e.span);
      case "function": return this.inline(c.decl, e);
      case "helper": return this.helper(c.name, e);
      case "mapMethod": return lowerMapMethod(this, c.map, c.method, e);
      case "ctxMethod": return this.ctxMethod(c.method, e);
    }
  }

  private inline(fn: A.FunctionDecl, e: A.CallExpr): Val | undefined {
    const args: Local[] = e.args.map((a, i) => {
      const pt = fn.params[i]?.type ?? a.type;
      if (pt && (pt.kind === "int" || pt.kind === "bool" || pt.kind === "action")) {
        const ty = intOf(pt);
        const reg = this.reg();
        const v = narrowTo(this, a, ty);
        this.emit({ op: "mov", dst: reg, src: v });
        const l: Local = { k: "int", reg, type: ty, mutable: true };
        if (typeof v === "bigint") this.state.consts.set(l, v);
        return l;
      }
      return this.object(a);
    });
    const rt = fn.returnType;
    const retType = rt && (rt.kind === "int" || rt.kind === "bool" || rt.kind === "action") ? intOf(rt) : undefined;
    const join = this.newBlock();
    const saved = this.ret;
    this.ret = { reg: this.reg(), type: retType, join: join.id };
    const result = this.ret.reg;
    this.bindParams(fn, args);
    try {
      this.stmt(fn.body);
      this.jump(join);
    } finally {
      this.env.pop();
      this.ret = saved;
    }
    this.start(join);
    return retType ? result : undefined;
  }

  private helper(name: string, e: A.CallExpr): Val {
    const h = HELPERS[name];
    if (!h) return this.fail(`unknown helper '${name}'`, e.span);
    const args = e.args.map((a, i) => narrowTo(this, a, INT_TYPES[h.params[i] ?? "u64"]));
    if (h.bpfHelper === 23) args.push(0n); // bpf_redirect(ifindex, flags)
    const dst = this.reg();
    this.emit({ op: "call", helper: h.bpfHelper, args, dst });
    if (h.returns === "u32" || h.returns === "action") return narrowVal(this, dst, U32);
    return dst;
  }

  private ctxMethod(method: string, e: A.CallExpr): Val | Local {
    if (method === "header") {
      const hname = e.args[0]?.kind === "Identifier" ? e.args[0].name : undefined;
      const h = hname ? HEADERS[hname] : undefined;
      if (!h || !hname) return this.fail("ctx.header needs a header type such as EthHdr", e.args[0]?.span ?? e.span);
      const offExpr = e.args[1];
      const off = offExpr ? narrowTo(this, offExpr, U32) : 0n;
      if (this.data < 0) this.fail("internal: packet pointers not loaded", e.span);
      if (typeof off === "bigint") {
        if (off > 0xffffn) this.fail("header offset is beyond any packet (> 65535)", offExpr?.span);
        return { k: "hdr", header: hname, base: this.data, off: Number(off), size: h.size, epoch: this.state.epoch, varBase: false };
      }
      // variable offset: saturate at VAR_OFF_MAX so the verifier can bound the pointer (it needs
      // offset + header size <= 0xffff) and a huge offset still fails the bounds check (null)
      const clamped = this.reg();
      this.emit({ op: "mov", dst: clamped, src: off });
      const big = this.newBlock(), join = this.newBlock();
      this.branch("gt", clamped, VAR_OFF_MAX, big, join);
      this.start(big);
      this.emit({ op: "mov", dst: clamped, src: VAR_OFF_MAX });
      this.jump(join);
      this.start(join);
      const base = this.alu("add", this.data, clamped, false);
      return { k: "hdr", header: hname, base, off: 0, size: h.size, epoch: this.state.epoch, varBase: true };
    }
    if (method === "adjustHead" || method === "adjustTail") {
      const delta = e.args[0] ? narrowTo(this, e.args[0], I32) : 0n;
      const dst = this.reg();
      this.emit({ op: "call", helper: method === "adjustHead" ? 44 : 65, args: [this.f.ctx, delta], dst });
      if (this.data < 0) { this.data = this.reg(); this.dataEnd = this.reg(); }
      this.invalidatePacket();
      return narrowVal(this, dst, I32);
    }
    return this.fail(`unsupported ctx method '${method}'`, e.span);
  }

  /** A fresh register holding `a op b`. */
  alu(alu: AluOp, a: Val, b: Val, w32: boolean): Reg {
    const d = this.reg();
    this.emit({ op: "alu", alu, dst: d, a, b, w32 });
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
    if (size === 1 || size === 2 || size === 4 || size === 8) {
      if (off % size === 0) return this.emit({ op: "store", base: 10, off, src: v, size });
    }
    for (let done = 0; done < size;) {
      const chunk = [4, 2, 1].find((c) => c <= size - done && (off + done) % c === 0)!;
      let part: Val;
      if (typeof v === "bigint") part = BigInt.asUintN(chunk * 8, v >> BigInt(done * 8));
      else {
        part = done ? this.alu("rsh", v, BigInt(done * 8), false) : v;
      }
      this.emit({ op: "store", base: 10, off: off + done, src: part, size: chunk as 1 | 2 | 4 });
      done += chunk;
    }
  }

  swapVal(v: Val, bits: number): Val {
    if (bits === 8) return v;
    if (typeof v === "bigint") {
      let r = 0n, x = BigInt.asUintN(bits, v);
      for (let i = 0; i < bits / 8; i++) { r = (r << 8n) | (x & 0xffn); x >>= 8n; }
      return r;
    }
    const d = this.reg();
    this.emit({ op: "swap", dst: d, src: v, bits: bits as 16 | 32 | 64 });
    return d;
  }

  // ---------------------------------------------------------------- integer values

  /** Lower an integer/bool/action expression to its 64-bit value (int-rule.ts). */
  value(e: A.Expr): Val {
    if (e.constValue !== undefined) return inDomain(e.constValue, exprInt(e));
    const saved = this.span;
    switch (e.kind) {
      case "IntLiteral": return inDomain(e.value, exprInt(e));
      case "BoolLiteral": return e.value ? 1n : 0n;
      case "Identifier": return this.identValue(e);
      case "MemberExpr": return this.member(e);
      case "CallExpr": {
        const r = this.call(e);
        if (r === undefined) return this.fail("this call has no value", e.span);
        if (typeof r === "object") return this.fail("expected an integer value", e.span);
        return r;
      }
      case "AsExpr": return narrowTo(this, e.expr, exprInt(e));
      case "UnaryExpr": return e.op === "!" ? this.materialize(e) : unaryValue(this, e);
      case "BinaryExpr": return isCompare(e.op) ? this.materialize(e) : binaryValue(this, e);
      case "LogicalExpr":
        if (e.op === "??") return this.nullish(e);
        return this.materialize(e);
      case "ConditionalExpr": return this.ternary(e);
      default:
        this.span = saved;
        return this.fail(`unsupported expression (${e.kind})`, e.span);
    }
  }

  private identValue(e: A.Identifier): Val {
    const b = e.binding;
    if (b?.kind === "const") return inDomain(b.value, exprInt(e));
    const l = this.lookup(b, e.span);
    if (l.k === "const") return l.v;
    if (l.k === "int") return l.mutable ? this.known(l) : l.reg;
    if (l.k === "mapval") return this.loadMapVal(l);
    return this.fail(`'${e.name}' is not an integer`, e.span);
  }

  loadMapVal(l: MapValPtr): Val {
    if (l.val !== undefined) return l.val;
    const d = this.reg();
    this.emit({ op: "load", dst: d, base: l.ptr, off: 0, size: (l.type.bits / 8) as 1 | 2 | 4 | 8 });
    return l.type.signed ? narrowVal(this, d, l.type) : d;
  }

  private member(e: A.MemberExpr): Val {
    const m = e.member;
    if (!m) return this.fail("internal: unresolved member", e.span);
    if (m.kind === "constant") return inDomain(m.value, exprInt(e));
    if (m.kind === "ctxLength") {
      // bpf_xdp_get_buff_len (188): data_end - data would be pointer arithmetic, refused without CAP_PERFMON
      const len = this.reg();
      this.emit({ op: "call", helper: 188, args: [this.f.ctx], dst: len });
      return narrowVal(this, len, U32);
    }
    if (m.kind !== "headerField") return this.fail("unsupported member access", e.span);
    const h = this.object(e.object);
    if (h.k !== "hdr") return this.fail("fields can only be read from header views", e.span);
    return this.field(h, m, e.span);
  }

  /** Read a header field (wire order) into a host-order canonical value. */
  private field(h: HeaderVal, m: A.MemberTarget & { kind: "headerField" }, span: Span): Val {
    if (h.epoch !== this.state.epoch) this.fail("this header view was invalidated by adjustHead/adjustTail; read it again with ctx.header", span);
    const end = h.off + m.offset + m.size;
    const ok = this.state.dead || (h.varBase ? this.state.checked.has(h) : this.state.range >= end);
    if (!ok) this.fail("header read is not guarded by a null check on every path (test the header against null first)", span);
    const off = h.off + m.offset;
    const key = `${h.base}:${off}:${m.size}:${m.bitOffset}:${m.bitWidth}:${m.type.name}`;
    const cached = this.state.loads.get(key);
    if (cached !== undefined) return cached;
    const v = this.fieldRead(h, m, off);
    this.state.loads.set(key, v);
    return v;
  }

  /** `view.field = v` / `view.field op= v`: the value in the field's type, written in wire order. */
  private fieldAssign(s: A.Assign, tgt: A.MemberExpr, m: A.MemberTarget & { kind: "headerField" }): void {
    const h = this.object(tgt.object);
    if (h.k !== "hdr") return void this.fail("fields can only be written in header views", tgt.span);
    if (m.bitWidth !== undefined) return void this.fail("bit fields are read-only", tgt.span);
    let v: Val;
    if (s.op !== "=") v = compound(this, s.op.slice(0, -1) as ArithOp, this.field(h, m, tgt.span), m.type, s.value);
    else {
      v = lowBits(this, s.value, m.type); // the store keeps the low bits
      this.field(h, m, tgt.span); // the same guard as a read (the load is dropped when unused)
    }
    const off = h.off + m.offset;
    if (m.size === 6) {
      const hi = typeof v === "bigint" ? (v >> 32n) & 0xffffn : this.alu("rsh", v, 32n, false);
      this.emit({ op: "store", base: h.base, off, src: this.swapVal(hi, 16), size: 2 });
      this.emit({ op: "store", base: h.base, off: off + 2, src: this.swapVal(typeof v === "bigint" ? v & 0xffffffffn : v, 32), size: 4 });
    } else this.emit({ op: "store", base: h.base, off, src: this.swapVal(v, m.size * 8), size: m.size as 1 | 2 | 4 | 8 });
    this.state.loads.clear();
  }

  private fieldRead(h: HeaderVal, m: A.MemberTarget & { kind: "headerField" }, off: number): Val {
    if (m.size === 6) {
      const hi = this.swapVal(this.load(h.base, off, 2), 16) as Reg;
      const lo = this.swapVal(this.load(h.base, off + 2, 4), 32) as Reg;
      return this.alu("or", this.alu("lsh", hi, 32n, false), lo, false);
    }
    let v: Val = this.swapVal(this.load(h.base, off, m.size), m.size * 8);
    if (m.bitWidth !== undefined) {
      if (m.bitOffset) v = this.alu("rsh", v, BigInt(m.bitOffset), true);
      if ((m.bitOffset ?? 0) + m.bitWidth < m.size * 8) v = this.alu("and", v, (1n << BigInt(m.bitWidth)) - 1n, true);
    }
    return m.type.signed ? narrowVal(this, v, m.type) : v;
  }

  load(base: Reg, off: number, size: number): Reg {
    const d = this.reg();
    this.emit({ op: "load", dst: d, base, off, size: size as 1 | 2 | 4 | 8 });
    return d;
  }

  // ---------------------------------------------------------------- conditions

  boolFrom(cc: Cond, a: Val, b: Val): Val {
    if (typeof a === "bigint" && typeof b === "bigint") return evalCond(cc, a, b, false) ? 1n : 0n;
    const d = this.reg();
    const f = this.newBlock(), j = this.newBlock();
    this.emit({ op: "mov", dst: d, src: 1n });
    this.branch(cc, a, b, j, f);
    this.start(f);
    this.emit({ op: "mov", dst: d, src: 0n });
    this.jump(j);
    this.start(j);
    return d;
  }

  private materialize(e: A.Expr): Val {
    const d = this.reg();
    const t = this.newBlock(), f = this.newBlock(), j = this.newBlock();
    this.cond(e, t, f);
    this.start(t);
    this.emit({ op: "mov", dst: d, src: 1n });
    this.jump(j);
    this.start(f);
    this.emit({ op: "mov", dst: d, src: 0n });
    this.jump(j);
    this.start(j);
    return d;
  }

  private ternary(e: A.ConditionalExpr): Val {
    const d = this.reg();
    const t = this.newBlock(), f = this.newBlock(), j = this.newBlock();
    const simple = (x: A.Expr): boolean => x.constValue !== undefined || x.kind === "IntLiteral" || x.kind === "BoolLiteral" || (x.kind === "MemberExpr" && x.member?.kind === "constant");
    if (simple(e.then) && simple(e.else)) {
      // d = then; if (!test) d = else — no jump back from the true arm
      this.emit({ op: "mov", dst: d, src: this.value(e.then) });
      this.cond(e.test, j, f);
      this.start(f);
      this.emit({ op: "mov", dst: d, src: this.value(e.else) });
      this.jump(j);
      this.start(j);
      return d;
    }
    this.cond(e.test, t, f);
    this.start(t);
    this.emit({ op: "mov", dst: d, src: this.value(e.then) });
    this.jump(j);
    this.start(f);
    this.emit({ op: "mov", dst: d, src: this.value(e.else) });
    this.jump(j);
    this.start(j);
    return d;
  }

  private nullish(e: A.LogicalExpr): Val {
    const l = this.object(e.left);
    if (l.k !== "mapval") return this.fail("'??' needs a map value on its left", e.left.span);
    const d = this.reg();
    const t = this.newBlock(), f = this.newBlock(), j = this.newBlock();
    this.branch("eq", l.ptr, 0n, t, f);
    this.start(f);
    this.emit({ op: "mov", dst: d, src: this.loadMapVal(l) });
    this.jump(j);
    this.start(t);
    this.emit({ op: "mov", dst: d, src: this.value(e.right) });
    this.jump(j);
    this.start(j);
    return d;
  }

  /** Lower a boolean expression as control flow: jump to t when true, f when false. */
  cond(e: A.Expr, t: Block, f: Block): void {
    if (e.constValue !== undefined) return e.constValue !== 0n ? this.decided(t, f) : this.decided(f, t);
    if (e.kind === "LogicalExpr" && e.op !== "??") {
      const mid = this.newBlock();
      if (e.op === "&&") this.cond(e.left, mid, f);
      else this.cond(e.left, t, mid);
      this.start(mid);
      return this.cond(e.right, t, f);
    }
    if (e.kind === "UnaryExpr" && e.op === "!") return this.cond(e.operand, f, t);
    if (e.kind === "CallExpr" && e.callee?.kind === "mapMethod" && e.callee.method === "has") {
      const p = lowerMapMethod(this, e.callee.map, "has", e, true) as MapValPtr;
      return this.branch("ne", p.ptr, 0n, t, f);
    }
    if (e.kind === "BinaryExpr" && isCompare(e.op)) return this.compare(e, t, f);
    if (e.type?.kind === "nullable" || e.type?.kind === "header") return this.nullTest(e, f, t);
    const v = this.value(e);
    this.branch("ne", v, 0n, t, f);
  }

  private compare(e: A.BinaryExpr, t: Block, f: Block): void {
    const eq = e.op === "==" || e.op === "===", ne = e.op === "!=" || e.op === "!==";
    const isNull = (x: A.Expr): boolean => x.kind === "NullLiteral" || x.type?.kind === "null";
    if ((eq || ne) && (isNull(e.left) || isNull(e.right))) {
      const obj = isNull(e.left) ? e.right : e.left;
      return eq ? this.nullTest(obj, t, f) : this.nullTest(obj, f, t);
    }
    const c = comparison(this, e);
    this.branch(c.cc, c.a, c.b, t, f);
  }

  /** Jump to ifNull when the nullable object is null, else to ifSome. */
  private nullTest(e: A.Expr, ifNull: Block, ifSome: Block): void {
    const o = this.object(e);
    if (o.k === "mapval") return this.branch("eq", o.ptr, 0n, ifNull, ifSome);
    if (o.k !== "hdr") return this.fail("only header views and map values can be null", e.span);
    if (o.epoch !== this.state.epoch) this.fail("this header view was invalidated by adjustHead/adjustTail; read it again with ctx.header", e.span);
    const end = o.off + o.size;
    if (!o.varBase && this.state.range >= end) return this.decided(ifSome, ifNull); // already proven on this path
    const p = this.alu("add", o.base, BigInt(end), false);
    this.cur.term = { op: "br", cc: "gt", a: p, b: this.dataEnd, w32: false, then: ifNull.id, else: ifSome.id, span: this.span, bound: o.varBase ? undefined : { end, data: o.base, ptr: p } };
    this.flow(ifNull.id, this.state);
    const ok: State = { ...this.state, range: o.varBase ? this.state.range : Math.max(this.state.range, end), checked: new Set([...this.state.checked, o]) };
    this.flow(ifSome.id, ok);
  }
}

// ---------------------------------------------------------------- helpers

function copyState(s: State): State {
  return { range: s.range, checked: new Set(s.checked), consts: new Map(s.consts), loads: new Map(s.loads), epoch: s.epoch, dead: s.dead };
}

function isCompare(op: string): boolean {
  return ["==", "!=", "===", "!==", "<", "<=", ">", ">="].includes(op);
}

export function intOf(t: A.Type | undefined): Int {
  if (!t) return U64;
  if (t.kind === "int") return t;
  if (t.kind === "bool") return U8;
  if (t.kind === "action") return U32;
  if (t.kind === "nullable" && t.inner.kind === "int") return t.inner;
  return U64;
}

export function exprInt(e: A.Expr): Int {
  return intOf(e.type);
}

/** Whether a function body (or a helper it calls) touches packet data. */
function usesPacket(n: unknown, seen = new Set<unknown>()): boolean {
  if (!n || typeof n !== "object" || seen.has(n)) return false;
  seen.add(n);
  const o = n as { kind?: string; callee?: A.CallTarget; member?: A.MemberTarget };
  if (o.kind === "CallExpr" && o.callee?.kind === "ctxMethod") return true;
  if (o.kind === "MemberExpr" && o.member?.kind === "ctxLength") return true;
  if (o.kind === "CallExpr" && o.callee?.kind === "function" && usesPacket(o.callee.decl.body, seen)) return true;
  for (const [k, v] of Object.entries(n)) if (k !== "binding" && k !== "callee" && k !== "type" && v && typeof v === "object" && usesPacket(v, seen)) return true;
  return false;
}

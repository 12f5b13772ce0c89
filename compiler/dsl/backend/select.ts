// Instruction selection: takes an IR function whose registers are all physical (after
// regalloc.ts) and produces the Insn[] of compiler/isa/insn.ts with `target` labels for jumps,
// `symbol` for map loads, and the source span of each statement. Blocks are laid out in creation
// order (reachable ones only) so fall-through edges need no jump; jumps too far for the 16-bit
// offset are the next pass's (long-branch.ts).
import { ALU, CLASS, JMP, LD_IMM64, MODE, SIZE, SRC, type Insn } from "../../isa/insn.js";
import type { Span } from "../../span.js";
import { type Cond, CONDS, invertCond, swapCond } from "../../isa/cond.js";
import { type AluOp, type Block, type Func, type Op, type Size, type Term, type Val, rpo, successors } from "../ir.js";

const ALU_CODE: Record<AluOp, number> = {
  add: ALU.ADD,
  sub: ALU.SUB,
  mul: ALU.MUL,
  div: ALU.DIV,
  sdiv: ALU.DIV,
  mod: ALU.MOD,
  smod: ALU.MOD,
  or: ALU.OR,
  and: ALU.AND,
  xor: ALU.XOR,
  lsh: ALU.LSH,
  rsh: ALU.RSH,
  arsh: ALU.ARSH,
  neg: ALU.NEG,
};
const SIZE_CODE: Record<Size, number> = { 1: SIZE.B, 2: SIZE.H, 4: SIZE.W, 8: SIZE.DW };
/** BPF_ATOMIC operations (their imm): the ALU codes of add, or, and, xor without BPF_FETCH. */
const ATOMIC_OP = { add: ALU.ADD, or: ALU.OR, and: ALU.AND, xor: ALU.XOR } as const;

export const fitsI32 = (v: bigint): boolean => v >= -(1n << 31n) && v < 1n << 31n;
const i32 = (v: bigint): number => Number(BigInt.asIntN(32, v));

export const blockLabel = (f: Func, id: number): string => `.L${f.name}_${id}`;

export function selectFunc(f: Func): { insns: Insn[]; labels: Map<string, number> } {
  const layout = layoutBlocks(f);
  const insns: Insn[] = [];
  const labels = new Map<string, number>();
  layout.forEach((b, i) => {
    labels.set(blockLabel(f, b.id), insns.length);
    for (const o of b.ops) insns.push(...selectOp(o));
    insns.push(...selectTerm(f, b.term, layout[i + 1]));
  });
  return { insns, labels };
}

/**
 * Greedy trace layout: after each block place its fall-through successor (a branch's false edge,
 * else its true edge). A branch's false edge into a join comes last of the blocks that flow into
 * the join: `if (c) { body }` falls into the body and the body into the join (one jump, not two),
 * and the verifier's first walk reaches the join with work behind it, so it saves a state there
 * that the other paths meet (it saves one only after two jumps and eight instructions). Not when
 * the body is a single op (`wscale = true`): measured, tcpopts' unrolled loop then verifies in
 * 28,704 instructions, and in 70,780 when the join waits for it too.
 */
function layoutBlocks(f: Func): Block[] {
  const order = rpo(f);
  const index = new Map(order.map((id, i) => [id, i]));
  const waiting = new Map<number, number>(); // forward edges into a block from blocks not placed yet
  for (const id of order)
    for (const s of successors(f.blocks[id]!.term))
      if (index.get(s)! > index.get(id)!) waiting.set(s, (waiting.get(s) ?? 0) + 1);
  const placed = new Set<number>();
  const out: Block[] = [];
  const ready = (id: number): boolean => !placed.has(id) && !waiting.get(id);
  const next = (b: Block): number | undefined => {
    const t = b.term;
    if (t.op === "jmp") return placed.has(t.to) ? undefined : t.to;
    if (t.op !== "br") return undefined;
    if (ready(t.else)) return t.else;
    if (!ready(t.then)) return undefined;
    return !placed.has(t.else) && f.blocks[t.then]!.ops.length < 2 ? t.else : t.then;
  };
  for (const start of order) {
    let id: number | undefined = start;
    while (id !== undefined && !placed.has(id)) {
      const b: Block = f.blocks[id]!;
      placed.add(id);
      out.push(b);
      for (const s of successors(b.term)) if (index.get(s)! > index.get(id)!) waiting.set(s, waiting.get(s)! - 1);
      id = next(b);
    }
  }
  return out;
}

function ins(code: number, dst: number, src: number, off: number, imm: number, span?: Span): Insn {
  return span ? { code, dst, src, off, imm, span } : { code, dst, src, off, imm };
}

export function movImm(dst: number, v: bigint, w32: boolean, span?: Span): Insn {
  if (w32) return ins(CLASS.ALU | ALU.MOV | SRC.K, dst, 0, 0, i32(v), span);
  if (fitsI32(v)) return ins(CLASS.ALU64 | ALU.MOV | SRC.K, dst, 0, 0, i32(v), span);
  if (v >= 0n && v < 1n << 32n) return ins(CLASS.ALU | ALU.MOV | SRC.K, dst, 0, 0, i32(v), span);
  return { ...ins(LD_IMM64, dst, 0, 0, i32(v), span), imm64: BigInt.asUintN(64, v) };
}

function selectOp(o: Op): Insn[] {
  const s = o.span;
  switch (o.op) {
    case "mov": {
      const cls = o.w32 ? CLASS.ALU : CLASS.ALU64;
      if (typeof o.src === "bigint") return [movImm(o.dst, o.src, !!o.w32, s)];
      return [ins(cls | ALU.MOV | SRC.X, o.dst, o.src, 0, 0, s)];
    }
    case "alu": {
      const cls = o.w32 ? CLASS.ALU : CLASS.ALU64;
      const off = o.alu === "sdiv" || o.alu === "smod" ? 1 : 0;
      if (o.alu === "neg") return [ins(cls | ALU.NEG, o.dst, 0, 0, 0, s)];
      if (typeof o.b === "bigint") return [ins(cls | ALU_CODE[o.alu] | SRC.K, o.dst, 0, off, i32(o.b), s)];
      return [ins(cls | ALU_CODE[o.alu] | SRC.X, o.dst, o.b, off, 0, s)];
    }
    case "swap": {
      const out: Insn[] = [];
      if (o.src !== o.dst) out.push(ins(CLASS.ALU64 | ALU.MOV | SRC.X, o.dst, o.src, 0, 0, s));
      out.push(ins(CLASS.ALU | ALU.END | 0x08, o.dst, 0, 0, o.bits, s));
      return out;
    }
    case "load":
      return [ins(CLASS.LDX | MODE.MEM | SIZE_CODE[o.size], o.dst, o.base, o.off, 0, s)];
    case "store":
      if (typeof o.src === "bigint")
        return [ins(CLASS.ST | MODE.MEM | SIZE_CODE[o.size], o.base, 0, o.off, i32(o.src), s)];
      return [ins(CLASS.STX | MODE.MEM | SIZE_CODE[o.size], o.base, o.src, o.off, 0, s)];
    case "xadd":
      return [ins(CLASS.STX | MODE.ATOMIC | SIZE_CODE[o.size], o.base, o.src, o.off, ATOMIC_OP[o.alu ?? "add"], s)];
    // src 0 like clang: the loader (or libbpf) sets BPF_PSEUDO_MAP_FD when it relocates the map
    case "ldmap":
      return [{ ...ins(LD_IMM64, o.dst, 0, 0, 0, s), imm64: 0n, symbol: o.map }];
    case "frame":
      return [
        ins(CLASS.ALU64 | ALU.MOV | SRC.X, o.dst, 10, 0, 0, s),
        ins(CLASS.ALU64 | ALU.ADD | SRC.K, o.dst, 0, 0, o.off, s),
      ];
    case "callp": // a subprogram: `call -1` naming it (the ELF writer adds the relocation, src BPF_PSEUDO_CALL)
      if (o.func !== undefined) return [{ ...ins(CLASS.JMP | JMP.CALL, 0, 1, 0, -1, s), symbol: o.func }];
      return [ins(CLASS.JMP | JMP.CALL, 0, 0, 0, o.helper, s)];
    case "call":
      throw new Error("select: call not expanded");
  }
}

function jump(f: Func, to: number, span?: Span): Insn {
  return { ...ins(CLASS.JMP | JMP.JA, 0, 0, 0, 0, span), target: blockLabel(f, to) };
}

function cmp(f: Func, cc: Cond, a: Val, b: Val, w32: boolean, to: number, span?: Span): Insn {
  if (typeof a === "bigint") {
    if (typeof b === "number") return cmp(f, swapCond(cc), b, a, w32, to, span);
    throw new Error("select: comparison of two constants");
  }
  const cls = w32 ? CLASS.JMP32 : CLASS.JMP;
  const base =
    typeof b === "bigint"
      ? ins(cls | CONDS[cc].op | SRC.K, a, 0, 0, i32(b), span)
      : ins(cls | CONDS[cc].op | SRC.X, a, b, 0, 0, span);
  return { ...base, target: blockLabel(f, to) };
}

function selectTerm(f: Func, t: Term, next: Block | undefined): Insn[] {
  const s = t.span;
  if (t.op === "ret") return [ins(CLASS.JMP | JMP.EXIT, 0, 0, 0, 0, s)];
  if (t.op === "jmp") return next?.id === t.to ? [] : [jump(f, t.to, s)];
  if (t.then === t.else) return next?.id === t.then ? [] : [jump(f, t.then, s)];
  if (next?.id === t.else) return [cmp(f, t.cc, t.a, t.b, t.w32, t.then, s)];
  const inv = invertCond(t.cc);
  if (next?.id === t.then && inv) return [cmp(f, inv, t.a, t.b, t.w32, t.else, s)];
  return [cmp(f, t.cc, t.a, t.b, t.w32, t.then, s), jump(f, t.else, s)];
}

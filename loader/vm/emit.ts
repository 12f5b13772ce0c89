// The VM's code generator for one instruction: takes a decoded Insn and its slot, produces the
// JavaScript statement that runs it on the local registers r0..r10 of the generated function
// (compile.ts). Values as reg.ts keeps them: a Number below 2^53, else a BigInt; the common forms
// get an inline Number path and fall back to reg.ts's operations, rare ones call runtime.ts.
import { findEntry } from "../../compiler/isa/lookup.js";
import type { Insn } from "../../compiler/isa/insn.js";
import { immOperand } from "../../compiler/isa/semantics.js";
import { VmCompileError, type CompileEnv } from "./machine.js";
import { FIRST, MID, SPAN, type Memory } from "./memory.js";
import { addSmall, canon, lo32, regCmp, regOp, type Reg } from "./reg.js";
import { atomicOp, cmpxchgOp, load, localCall, movsxOp, negOp, signedLoad, store, swapOp } from "./runtime.js";
import type { Load, Store } from "./runtime.js";

export interface EmitEnv extends CompileEnv {
  mem: Memory;
  /** The name under which the generated code reads a value (a function, a constant object). */
  k(v: unknown): string;
}

const TOP = 2 ** 53;
const SIZES: Record<string, number> = { b: 1, h: 2, w: 4, dw: 8 };

/** A Reg as a JavaScript literal. */
const lit = (v: Reg) => (typeof v === "bigint" ? `${v}n` : `${v}`);

/** The statement for insn `i` at `slot`; `rest` counts the block's instructions after it. */
export function emitInsn(i: Insn, slot: number, env: EmitEnv, rest: number): string {
  const e = findEntry(i)!;
  const hex = `0x${i.code.toString(16).padStart(2, "0")}`;
  const g = new Gen(env);
  const code = g.alu(e.name, i) ?? g.mem(e.name, i, slot) ?? g.jump(e.name, i, slot) ?? g.call(e.name, i, slot, rest);
  if (code === undefined) throw new VmCompileError(`insn ${slot}: the VM does not run ${e.name} (opcode ${hex})`);
  const cls = i.code & 7;
  if (i.dst === 10 && (cls === 0 || cls === 1 || cls === 4 || cls === 7))
    throw new VmCompileError(`insn ${slot}: r10 is read-only`);
  return code;
}

class Gen {
  constructor(private env: EmitEnv) {}

  private k(v: unknown): string {
    return this.env.k(v);
  }

  /** The low 32 bits of register n, as a Number. */
  private lo(n: number): string {
    return `(typeof r${n} === "number" ? r${n} >>> 0 : ${this.k(lo32)}(r${n}))`;
  }

  alu(name: string, i: Insn): string | undefined {
    const d = `r${i.dst}`;
    let m = /^(\w+?)(64|32)_(imm|reg)$/.exec(name);
    if (m && (i.code & 7) !== 5 && (i.code & 7) !== 6) {
      const [op, bits, imm] = [m[1], Number(m[2]), m[3] === "imm"];
      const f = regOp(op, bits);
      if (!f) return undefined;
      const fast = bits === 64 ? this.alu64(op, i, imm) : this.alu32(op, i, imm);
      if (fast) return fast;
      const b = imm ? lit(canon(immOperand(i.imm, bits))) : `r${i.src}`;
      return `${d} = ${this.k(f)}(${d}, ${b});`;
    }
    if ((m = /^neg(64|32)$/.exec(name))) return `${d} = ${this.k(negOp(Number(m[1])))}(${d});`;
    if ((m = /^movsx(64|32)_(\d+)$/.exec(name)))
      return `${d} = ${this.k(movsxOp(Number(m[2]), Number(m[1])))}(r${i.src});`;
    if ((m = /^(le|be|bswap)(\d+)$/.exec(name))) return this.swap(m[1] === "le", Number(m[2]), i.dst);
    return undefined;
  }

  /** Inline forms of 64-bit ALU operations (undefined: call reg.ts's). */
  private alu64(op: string, i: Insn, imm: boolean): string | undefined {
    const d = `r${i.dst}`,
      s = `r${i.src}`;
    const slow = (b: string) => `${this.k(regOp(op, 64))}(${d}, ${b})`;
    if (op === "mov") return imm ? `${d} = ${lit(canon(immOperand(i.imm, 64)))};` : `${d} = ${s};`;
    if (imm && (op === "add" || op === "sub")) {
      const k = op === "add" ? i.imm : -i.imm;
      return `${d} = typeof ${d} === "number" && (t = ${d} + ${k}) >= 0 && t < ${TOP} ? t : ${this.k(addSmall)}(${d}, ${k});`;
    }
    if (!imm && op === "add")
      return `${d} = typeof ${d} === "number" && typeof ${s} === "number" && (t = ${d} + ${s}) < ${TOP} ? t : ${slow(s)};`;
    if (!imm && op === "sub")
      return `${d} = typeof ${d} === "number" && typeof ${s} === "number" && ${d} >= ${s} ? ${d} - ${s} : ${slow(s)};`;
    if (imm && op === "and" && i.imm >= 0) return `${d} = ${this.lo(i.dst)} & ${i.imm};`;
    if (imm && (op === "rsh" || op === "arsh" || op === "lsh")) return this.shift64(op, i.dst, i.imm);
    if (!imm && (op === "or" || op === "and" || op === "xor")) {
      const js = op === "or" ? "|" : op === "and" ? "&" : "^";
      const small = `typeof ${d} === "number" && typeof ${s} === "number" && ${d} < ${2 ** 32} && ${s} < ${2 ** 32}`;
      return `${d} = ${small} ? (${d} ${js} ${s}) >>> 0 : ${slow(s)};`;
    }
    return undefined;
  }

  /** A 64-bit shift by a constant: Numbers are non-negative as signed values too, so arsh is rsh;
   *  a left shift stays a Number while the result is below 2^53. */
  private shift64(op: string, n: number, imm: number): string {
    const d = `r${n}`,
      k = Number(immOperand(imm, 64) & 63n);
    const slow = `${this.k(regOp(op, 64))}(${d}, ${lit(canon(immOperand(imm, 64)))})`;
    if (op === "lsh") return `${d} = typeof ${d} === "number" && ${d} < ${2 ** (53 - k)} ? ${d} * ${2 ** k} : ${slow};`;
    const right =
      k < 32 ? `${d} < ${2 ** 32} ? ${d} >>> ${k} : Math.floor(${d} / ${2 ** k})` : `Math.floor(${d} / ${2 ** k})`;
    return `${d} = typeof ${d} === "number" ? ${right} : ${slow};`;
  }

  /** 32-bit ALU operations on the low halves, inline where JavaScript's int32 operators match. */
  private alu32(op: string, i: Insn, imm: boolean): string | undefined {
    const a = this.lo(i.dst);
    const b = imm ? `${Number(immOperand(i.imm, 32))}` : this.lo(i.src);
    const sh = imm ? `${Number(immOperand(i.imm, 32)) & 31}` : `(${b} & 31)`;
    const expr: Record<string, string> = {
      mov: b,
      add: `(${a} + ${b}) >>> 0`,
      sub: `(${a} - ${b}) >>> 0`,
      mul: `Math.imul(${a}, ${b}) >>> 0`,
      or: `(${a} | ${b}) >>> 0`,
      and: `(${a} & ${b}) >>> 0`,
      xor: `(${a} ^ ${b}) >>> 0`,
      lsh: `(${a} << ${sh}) >>> 0`,
      rsh: `${a} >>> ${sh}`,
      arsh: `(${a} >> ${sh}) >>> 0`,
    };
    return expr[op] === undefined ? undefined : `r${i.dst} = ${expr[op]};`;
  }

  /** le16/32/64 truncate; be and bswap reverse the low `bits` bits' bytes. */
  private swap(le: boolean, bits: number, n: number): string {
    const d = `r${n}`;
    if (le) return bits === 64 ? "" : `${d} = ${this.lo(n)}${bits === 16 ? " & 0xffff" : ""};`;
    if (bits === 16) return `t = ${this.lo(n)}; ${d} = ((t & 0xff) << 8) | ((t >>> 8) & 0xff);`;
    if (bits === 32)
      return `t = ${this.lo(n)}; ${d} = (((t & 0xff) << 24) | ((t & 0xff00) << 8) | ((t >>> 8) & 0xff00) | (t >>> 24)) >>> 0;`;
    return `${d} = ${this.k(swapOp(bits))}(${d});`;
  }

  /** The slow path (Memory's checked access) of a load and a store of `size` bytes. */
  private slow(size: number): { ld: Load; st: Store } {
    return memo(this.env.mem, size, () => ({ ld: load(this.env.mem, size), st: store(this.env.mem, size) }));
  }

  /** The inline test that base + off is a Number pointer into a plain region, `size` bytes in
   *  bounds (then q is the region and i the byte index; when it fails, q is the pointer's region
   *  and i its byte index, or q is undefined). */
  private inBounds(base: string, off: number, size: number, write: boolean): string {
    const list = this.k(this.env.mem.list);
    return (
      `(q = typeof ${base} === "number" ? ${list}[Math.floor((a = ${base} + ${off}) / ${SPAN}) - ${FIRST}] : undefined) !== undefined && ` +
      `(i = (a % ${SPAN}) - ${MID}, ${write ? "q.writable && " : ""}q.hooks === undefined) && i >= q.lo && i + ${size} <= q.hi`
    );
  }

  mem(name: string, i: Insn, slot: number): string | undefined {
    const { dst: d, src: s, off } = i;
    let m = /^ldx(s?)(dw|w|h|b)$/.exec(name);
    if (m) {
      const size = SIZES[m[2]],
        { ld } = this.slow(size);
      if (m[1]) return `r${d} = ${this.k(signedLoad(ld, size))}(r${s}, ${off}, ${slot});`;
      const get = GET[size].replace(/DST/g, `r${d}`);
      const hook = `if (q !== undefined && q.hooks !== undefined) r${d} = q.hooks.load(i - q.origin, ${size}, ${slot}); else`;
      return `if (${this.inBounds(`r${s}`, off, size, false)}) ${get} else ${hook} r${d} = ${this.k(ld)}(r${s}, ${off}, ${slot});`;
    }
    if ((m = /^(stx|st)(dw|w|h|b)$/.exec(name))) {
      const size = SIZES[m[2]],
        { st } = this.slow(size);
      const v = m[1] === "st" ? lit(canon(BigInt.asUintN(64, BigInt(i.imm)))) : `r${s}`;
      const num = v.endsWith("n") ? "false" : `typeof ${v} === "number"`;
      const put = SET[size].replace(/V/g, v);
      return `if (${num} && ${this.inBounds(`r${d}`, off, size, true)}) ${put} else ${this.k(st)}(r${d}, ${off}, ${v}, ${slot});`;
    }
    if (name === "lddw") return `r${d} = ${lit(canon(BigInt.asUintN(64, i.imm64 ?? 0n)))};`;
    if (name.startsWith("ld_pseudo")) return `r${d} = ${lit(this.env.pseudo(i, slot))};`;
    if ((m = /^atomic(64|32)_(fetch_)?(\w+)$/.exec(name))) {
      const bits = Number(m[1]),
        { ld, st } = this.slow(bits / 8);
      if (m[3] === "cmpxchg") return `r0 = ${this.k(cmpxchgOp(bits, ld, st))}(r${d}, ${off}, r${s}, r0, ${slot});`;
      const f = atomicOp(m[3], bits, ld, st);
      if (!f) return undefined;
      const fetch = m[2] || m[3] === "xchg" ? `r${s} = ` : "";
      const call = `${fetch}${this.k(f)}(r${d}, ${off}, r${s}, ${slot});`;
      return m[3] === "add" ? this.atomicAdd(bits, i, fetch !== "", call) : call;
    }
    return undefined;
  }

  /** An atomic add inline on Numbers while the sum stays exact (else `call`, the runtime's). */
  private atomicAdd(bits: number, i: Insn, fetch: boolean, call: string): string {
    const size = bits / 8,
      s = `r${i.src}`;
    const sum = bits === 32 ? `(a = (t + (${s} % ${2 ** 32})) % ${2 ** 32}, true)` : `(a = t + ${s}) < ${TOP}`;
    const put = `${SET[size].replace(/V/g, "a")}${fetch ? ` ${s} = t;` : ""}`;
    const get = GET[size].replace(/DST/g, "t");
    return (
      `if (typeof ${s} === "number" && ${this.inBounds(`r${i.dst}`, i.off, size, true)}) { ${get} ` +
      `if (typeof t === "number" && ${sum}) { ${put} } else ${call} } else ${call}`
    );
  }

  jump(name: string, i: Insn, slot: number): string | undefined {
    const taken = slot + 1 + i.off;
    const m = /^(j\w+?)(32)?_(imm|reg)$/.exec(name);
    if (m) {
      const cond = this.cond(m[1], m[2] ? 32 : 64, i, m[3] === "imm");
      return cond === undefined ? undefined : `if (${cond}) { pc = ${taken}; continue; }`;
    }
    switch (name) {
      case "ja":
        return `pc = ${taken}; continue;`;
      case "gotol":
        return `pc = ${slot + 1 + i.imm}; continue;`;
      case "may_goto":
        // falls through: the kernel takes the goto only after 8M of them in one frame, which the
        // DSL's loops stay within (a loop bounded by may_goto alone runs to the VM's own limit)
        return "";
      case "exit":
        return (
          `if (x.frames.length === 0) { ${save(1)} x.n = n; return null; } ` +
          `f = x.frames.pop(); r6 = f.saved[0]; r7 = f.saved[1]; r8 = f.saved[2]; r9 = f.saved[3]; ` +
          `r10 = f.saved[4]; pc = f.ret; continue;`
        );
    }
    return undefined;
  }

  /** A jump condition: inline for Numbers (below 2^53 signed and unsigned agree), else reg.ts's. */
  private cond(op: string, bits: number, i: Insn, imm: boolean): string | undefined {
    const c = regCmp(op, bits);
    if (!c) return undefined;
    const d = `r${i.dst}`;
    const b = imm ? lit(canon(immOperand(i.imm, bits))) : `r${i.src}`;
    const js = OPS[op];
    if (bits === 32) {
      const x = this.lo(i.dst),
        y = imm ? b : this.lo(i.src);
      if (op === "jset") return `(${x} & ${y}) !== 0`;
      return op.startsWith("js") ? `(${x} | 0) ${js} (${y} | 0)` : `${x} ${js} ${y}`;
    }
    // Canonical values: equal ones have the same type, so === decides (in)equality.
    if (op === "jeq" || op === "jne") return `${d} ${js} ${b}`;
    const slow = `${this.k(c)}(${d}, ${b})`;
    if (!js || (imm && typeof canon(immOperand(i.imm, 64)) === "bigint")) return slow;
    const numbers = imm ? `typeof ${d} === "number"` : `typeof ${d} === "number" && typeof ${b} === "number"`;
    return `(${numbers} ? ${d} ${js} ${b} : ${slow})`;
  }

  call(name: string, i: Insn, slot: number, rest: number): string | undefined {
    const after = `r0 = x.r[0]; if (x.tail !== null) { ${save(11)} x.n = n - ${rest}; return x.tail; }`;
    const sync = save(6);
    if (name === "call") {
      const h = this.env.helper(i.imm);
      if (!h)
        throw new VmCompileError(`insn ${slot}: helper ${this.env.helperName(i.imm)} is not implemented in the VM`);
      return `${sync} ${this.k(h)}(x, ${slot}); ${after}`;
    }
    if (name === "callx") {
      const at = this.env.helperAt;
      if (!at) throw new VmCompileError(`insn ${slot}: callx is not supported (the kernel refuses it too)`);
      return `${sync} ${this.k(at)}(${this.lo(i.dst)}, ${slot})(x, ${slot}); ${after}`;
    }
    if (name === "call_local")
      return `r10 = ${this.k(localCall)}(x, ${slot}, r6, r7, r8, r9, r10); pc = ${slot + 1 + i.imm}; continue;`;
    return undefined;
  }
}

/** Writes local registers r0..r(count-1) back to x.r, each only when it changed (a register array
 *  that also holds BigInts boxes every Number stored: a pointer as the last run left it is not
 *  stored again). */
const save = (count: number) =>
  Array.from({ length: count }, (_, n) => `if (x.r[${n}] !== r${n}) x.r[${n}] = r${n};`).join(" ");

const OPS: Record<string, string | undefined> = {
  jeq: "===",
  jne: "!==",
  jgt: ">",
  jge: ">=",
  jlt: "<",
  jle: "<=",
  jsgt: ">",
  jsge: ">=",
  jslt: "<",
  jsle: "<=",
};

/** Reading `size` bytes of region q at i into DST (8 bytes: a Number below 2^53, else a BigInt). */
const GET: Record<number, string> = {
  1: "DST = q.dv.getUint8(i);",
  2: "DST = q.dv.getUint16(i, true);",
  4: "DST = q.dv.getUint32(i, true);",
  8: "{ t = q.dv.getUint32(i + 4, true); DST = t < 2097152 ? t * 4294967296 + q.dv.getUint32(i, true) : q.dv.getBigUint64(i, true); }",
};

/** Writing the low `size` bytes of the Number V to region q at i. */
const SET: Record<number, string> = {
  1: "q.dv.setUint8(i, V & 0xff);",
  2: "q.dv.setUint16(i, V & 0xffff, true);",
  4: "q.dv.setUint32(i, V >>> 0, true);",
  8: "{ q.dv.setUint32(i, V >>> 0, true); q.dv.setUint32(i + 4, Math.floor(V / 4294967296), true); }",
};

const memos = new WeakMap<Memory, Map<number, { ld: Load; st: Store }>>();

/** One slow load and store per Memory and size (so every instruction calls the same ones). */
function memo(mem: Memory, size: number, make: () => { ld: Load; st: Store }): { ld: Load; st: Store } {
  let m = memos.get(mem);
  if (!m) memos.set(mem, (m = new Map()));
  let f = m.get(size);
  if (!f) m.set(size, (f = make()));
  return f;
}

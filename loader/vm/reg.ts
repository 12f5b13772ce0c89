// The VM's register values: an unsigned 64-bit value is a Number when it is below 2^53 (exact, and
// fast: pointers, packet bytes, most arithmetic) and a BigInt otherwise — always that way round, so
// equal values have the same type. Takes BigInt semantics (compiler/isa/semantics.ts) and produces
// operations on such values: a Number fast path where the result is provably exact, else BigInt.
import { binOp, cmp, type BinOp, type Cmp } from "../../compiler/isa/semantics.js";

export type Reg = number | bigint;

const TOP = 2 ** 53,
  TOP_N = 2n ** 53n,
  U32 = 2 ** 32;

/** The canonical form of an unsigned 64-bit BigInt. */
export const canon = (v: bigint): Reg => (v < TOP_N ? Number(v) : v);
export const big = (v: Reg): bigint => (typeof v === "bigint" ? v : BigInt(v));
/** The low 32 bits as a Number. */
export const lo32 = (v: Reg): number => (typeof v === "number" ? v % U32 : Number(BigInt.asUintN(32, v)));

export type RegOp = (a: Reg, b: Reg) => Reg;

/** `op` at 64 bits on canonical values. */
function op64(op: string, slow: BinOp): RegOp {
  const s: RegOp = (a, b) => canon(slow(big(a), big(b)));
  const num =
    (f: (a: number, b: number) => number | undefined): RegOp =>
    (a, b) => {
      if (typeof a === "number" && typeof b === "number") {
        const r = f(a, b);
        if (r !== undefined) return r;
      }
      return s(a, b);
    };
  switch (op) {
    case "add":
      return num((a, b) => (a + b < TOP ? a + b : undefined));
    case "sub":
      return num((a, b) => (a >= b ? a - b : undefined));
    case "mul":
      return num((a, b) => (a * b < TOP ? a * b : undefined));
    case "div":
    case "sdiv":
      return num((a, b) => (b === 0 ? 0 : Math.floor(a / b)));
    case "mod":
    case "smod":
      return num((a, b) => (b === 0 ? a : a % b));
    case "or":
      return num((a, b) => halves(a, b, (x, y) => x | y));
    case "and":
      return num((a, b) => halves(a, b, (x, y) => x & y));
    case "xor":
      return num((a, b) => halves(a, b, (x, y) => x ^ y));
    case "mov":
      return (_a, b) => b;
    case "lsh":
      return num((a, b) => (a * 2 ** (b & 63) < TOP ? a * 2 ** (b & 63) : undefined));
    case "rsh":
    case "arsh":
      return num((a, b) => Math.floor(a / 2 ** (b & 63)));
  }
  return s;
}

/** A bitwise operation on two Numbers below 2^53, half by half (the high halves are below 2^21,
 *  so the result is a Number below 2^53 too). */
function halves(a: number, b: number, f: (x: number, y: number) => number): number {
  if (a < U32 && b < U32) return f(a, b) >>> 0;
  return (f(Math.floor(a / U32), Math.floor(b / U32)) >>> 0) * U32 + (f(a % U32, b % U32) >>> 0);
}

/** `op` at 32 bits: on the low halves, zero-extended. */
function op32(op: string, slow: BinOp): RegOp {
  const f = OPS32[op];
  return f ? (a, b) => f(lo32(a), lo32(b)) : (a, b) => canon(slow(big(a), big(b)));
}

const OPS32: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => (a + b) >>> 0,
  sub: (a, b) => (a - b) >>> 0,
  mul: (a, b) => Math.imul(a, b) >>> 0,
  div: (a, b) => (b === 0 ? 0 : Math.floor(a / b)),
  mod: (a, b) => (b === 0 ? a : a % b),
  sdiv: (a, b) => (b === 0 ? 0 : Math.trunc((a | 0) / (b | 0)) >>> 0),
  smod: (a, b) => (b === 0 ? a : ((a | 0) % (b | 0)) >>> 0),
  or: (a, b) => (a | b) >>> 0,
  and: (a, b) => (a & b) >>> 0,
  xor: (a, b) => (a ^ b) >>> 0,
  mov: (_a, b) => b,
  lsh: (a, b) => (a << (b & 31)) >>> 0,
  rsh: (a, b) => a >>> (b & 31),
  arsh: (a, b) => (a >> (b & 31)) >>> 0,
};

const ops = new Map<string, RegOp | undefined>();
const cmps = new Map<string, RegCmp | undefined>();

/** The binary ALU operation `op` at width 64 or 32 on canonical values, or undefined (one function
 *  per operation and width). */
export function regOp(op: string, bits: number): RegOp | undefined {
  const key = `${op}${bits}`;
  if (!ops.has(key)) ops.set(key, makeOp(op, bits));
  return ops.get(key);
}

function makeOp(op: string, bits: number): RegOp | undefined {
  const slow = binOp(op, bits);
  if (!slow) return undefined;
  return bits === 64 ? op64(op, slow) : op32(op, slow);
}

export type RegCmp = (a: Reg, b: Reg) => boolean;

/** The condition of jump `op` at width 64 or 32 on canonical values, or undefined (one function
 *  per condition and width). */
export function regCmp(op: string, bits: number): RegCmp | undefined {
  const key = `${op}${bits}`;
  if (!cmps.has(key)) cmps.set(key, makeCmp(op, bits));
  return cmps.get(key);
}

function makeCmp(op: string, bits: number): RegCmp | undefined {
  const slow: Cmp | undefined = cmp(op, bits);
  if (!slow) return undefined;
  if (bits === 32) {
    const f = CMP32[op]!;
    return (a, b) => f(lo32(a), lo32(b));
  }
  const f = CMP64[op];
  return (a, b) => (typeof a === "number" && typeof b === "number" && f ? f(a, b) : slow(big(a), big(b)));
}

// Numbers below 2^53 are non-negative as signed 64-bit values too, so signed and unsigned agree.
const CMP64: Record<string, ((a: number, b: number) => boolean) | undefined> = {
  jeq: (a, b) => a === b,
  jne: (a, b) => a !== b,
  jgt: (a, b) => a > b,
  jge: (a, b) => a >= b,
  jlt: (a, b) => a < b,
  jle: (a, b) => a <= b,
  jsgt: (a, b) => a > b,
  jsge: (a, b) => a >= b,
  jslt: (a, b) => a < b,
  jsle: (a, b) => a <= b,
  jset: undefined,
};

const CMP32: Record<string, (a: number, b: number) => boolean> = {
  jeq: (a, b) => a === b,
  jne: (a, b) => a !== b,
  jset: (a, b) => (a & b) !== 0,
  jgt: (a, b) => a > b,
  jge: (a, b) => a >= b,
  jlt: (a, b) => a < b,
  jle: (a, b) => a <= b,
  jsgt: (a, b) => (a | 0) > (b | 0),
  jsge: (a, b) => (a | 0) >= (b | 0),
  jslt: (a, b) => (a | 0) < (b | 0),
  jsle: (a, b) => (a | 0) <= (b | 0),
};

/** A + a small signed offset (pointer arithmetic, memory addresses), wrapping at 2^64. */
export function addSmall(a: Reg, off: number): Reg {
  if (typeof a === "number") {
    const s = a + off;
    if (s >= 0 && s < TOP) return s;
  }
  return canon(BigInt.asUintN(64, big(a) + BigInt(off)));
}

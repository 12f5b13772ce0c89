// What BPF's ALU and jump instructions compute (RFC 9669), the one home for the VM and the DSL
// optimiser's constant folding: takes unsigned 64-bit BigInt operands, produces unsigned results.
// 32-bit forms work on the low halves and zero-extend. Division by zero gives 0, modulo by zero
// leaves the dividend, shifts mask their count.

const u64 = (v: bigint) => BigInt.asUintN(64, v);
const u32 = (v: bigint) => BigInt.asUintN(32, v);
const s64 = (v: bigint) => BigInt.asIntN(64, v);
const s32 = (v: bigint) => BigInt.asIntN(32, v);

export type BinOp = (a: bigint, b: bigint) => bigint;

const OPS64: Record<string, BinOp> = {
  add: (a, b) => u64(a + b),
  sub: (a, b) => u64(a - b),
  mul: (a, b) => u64(a * b),
  div: (a, b) => (b === 0n ? 0n : a / b),
  mod: (a, b) => (b === 0n ? a : a % b),
  sdiv: (a, b) => (b === 0n ? 0n : u64(s64(a) / s64(b))),
  smod: (a, b) => (b === 0n ? a : u64(s64(a) % s64(b))),
  or: (a, b) => a | b,
  and: (a, b) => a & b,
  xor: (a, b) => a ^ b,
  mov: (_a, b) => b,
  lsh: (a, b) => u64(a << (b & 63n)),
  rsh: (a, b) => a >> (b & 63n),
  arsh: (a, b) => u64(s64(a) >> (b & 63n)),
};

const OPS32: Record<string, BinOp> = {
  add: (a, b) => u32(a + b),
  sub: (a, b) => u32(a - b),
  mul: (a, b) => u32(u32(a) * u32(b)),
  div: (a, b) => (u32(b) === 0n ? 0n : u32(a) / u32(b)),
  mod: (a, b) => (u32(b) === 0n ? u32(a) : u32(a) % u32(b)),
  sdiv: (a, b) => (u32(b) === 0n ? 0n : u32(s32(a) / s32(b))),
  smod: (a, b) => (u32(b) === 0n ? u32(a) : u32(s32(a) % s32(b))),
  or: (a, b) => u32(a | b),
  and: (a, b) => u32(a & b),
  xor: (a, b) => u32(a ^ b),
  mov: (_a, b) => u32(b),
  lsh: (a, b) => u32(a << (b & 31n)),
  rsh: (a, b) => u32(a) >> (b & 31n),
  arsh: (a, b) => u32(s32(a) >> (b & 31n)),
};

/** The binary ALU operation `op` at width 64 or 32, or undefined. */
export function binOp(op: string, bits: number): BinOp | undefined {
  return (bits === 64 ? OPS64 : OPS32)[op];
}

/** The immediate operand as the instruction sees it: sign-extended to 64 bits, or its low 32. */
export function immOperand(imm: number, bits: number): bigint {
  return bits === 64 ? u64(BigInt(imm)) : u32(BigInt(imm));
}

export const neg = (bits: number) => (bits === 64 ? (a: bigint) => u64(-a) : (a: bigint) => u32(-a));

/** movsx: sign-extend the low `from` bits to `bits`. */
export const movsx = (from: number, bits: number) => (a: bigint) => BigInt.asUintN(bits, BigInt.asIntN(from, a));

/** Reverse the byte order of the low `bits` bits. */
export function bswap(v: bigint, bits: number): bigint {
  let out = 0n;
  for (let i = 0; i < bits; i += 8) out = (out << 8n) | ((v >> BigInt(i)) & 0xffn);
  return out;
}

export type Cmp = (a: bigint, b: bigint) => boolean;

const CMP: Record<string, (bits: number) => Cmp> = {
  jeq: () => (a, b) => a === b,
  jne: () => (a, b) => a !== b,
  jset: () => (a, b) => (a & b) !== 0n,
  jgt: () => (a, b) => a > b,
  jge: () => (a, b) => a >= b,
  jlt: () => (a, b) => a < b,
  jle: () => (a, b) => a <= b,
  jsgt: (n) => (a, b) => BigInt.asIntN(n, a) > BigInt.asIntN(n, b),
  jsge: (n) => (a, b) => BigInt.asIntN(n, a) >= BigInt.asIntN(n, b),
  jslt: (n) => (a, b) => BigInt.asIntN(n, a) < BigInt.asIntN(n, b),
  jsle: (n) => (a, b) => BigInt.asIntN(n, a) <= BigInt.asIntN(n, b),
};

/** The condition of jump `op` on operands already truncated to `bits`. */
export function cmp(op: string, bits: number): Cmp | undefined {
  return CMP[op]?.(bits);
}

/** Atomic read-modify-write operations (the fetch forms use the same functions). */
export const ATOMIC: Record<string, BinOp> = {
  add: (a, b) => a + b,
  or: (a, b) => a | b,
  and: (a, b) => a & b,
  xor: (a, b) => a ^ b,
  xchg: (_a, b) => b,
};

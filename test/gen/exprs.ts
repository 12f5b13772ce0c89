// Random DSL expressions for the program generator: takes a seeded random source and the names in
// scope (variables, header fields, maps, helpers), produces integer expressions whose static type
// widens to a wanted type (also packet loads at any offset), conditions, literals and map keys. Integers are free to mix types,
// signedness, overflow, division (also by zero at run time) and shifts by any count; the only
// shapes avoided are the ones the compiler rejects on purpose: a u64 compared with a signed
// value that is not a non-negative constant, a literal that does not fit beside its operand, and
// literal-only expressions that would not fit where they are stored.
import type { IntName } from "../../compiler/dsl/ast.js";
import { PACKET_ACCESS } from "../../compiler/dsl/catalog.js";

export interface MapSpec {
  name: string;
  cls: string;
  key: IntName;
  value: IntName;
  max: number;
}
export interface Helper {
  name: string;
  params: IntName[];
  ret: IntName;
  /** Takes a struct S0 by reference as its last parameter `s`. */
  struct?: boolean;
  /** Meant not to log (a function that logs is always inlined): its statements are drawn without logs. */
  quiet?: boolean;
  /** Logs after all, itself (a log reached through another statement's fallback) or through a helper it calls. */
  logs?: boolean;
  /** Takes the caller's checked Ipv4Hdr view as its first parameter `hv`. */
  view?: boolean;
  /** Exported: a global function (quiet, calling only quiet helpers). */
  global?: boolean;
}
/** konst: a compile-time constant (a literal, or a `const` initialised with one), which the checker folds. */
export interface Expr {
  code: string;
  type: IntName;
  konst?: boolean;
}

/** What the expression generator may refer to at the current point of the program. */
export interface Scope {
  vars(): { name: string; type: IntName | "bool"; konst?: boolean }[];
  fields(): Expr[];
  maps: MapSpec[];
  /** Helpers the current function may call. */
  callable(): Helper[];
  /** A call of h is written here (a helper calling one that logs logs too). */
  calling(h: Helper): void;
  /** A checked Ipv4Hdr view in scope (the argument of a helper's view parameter). */
  ipView(): string | undefined;
  /** Top-level `const K = literal;` (untyped constants). */
  consts: { name: string; value: bigint }[];
  /** Inside a helper there is no ctx: p0 is always a parameter. */
  inHelper(): boolean;
  /** A struct S0 variable in scope (an argument for a helper's struct parameter). */
  structVar(): string | undefined;
  /** Struct locals in scope (all of one struct type). */
  structNames(): string[];
}

export const INTS: IntName[] = ["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64"];
export const BITS: Record<IntName, number> = { u8: 8, u16: 16, u32: 32, u64: 64, i8: 8, i16: 16, i32: 32, i64: 64 };
export const signed = (t: IntName): boolean => t[0] === "i";
export const isArray = (m: MapSpec): boolean => m.cls === "ArrayMap" || m.cls === "PerCpuArray";

const ARITH = ["+", "-", "*", "&", "|", "^", "/", "%", "+", "-", "*"];
const CMP_OPS = ["===", "!==", "<", "<=", ">", ">=", "==", "!="];
/** Field values the packets use (test/gen/frames.ts), so comparisons sometimes match. */
const INTERESTING = [
  0n,
  1n,
  2n,
  4n,
  5n,
  6n,
  17n,
  53n,
  58n,
  63n,
  64n,
  80n,
  128n,
  255n,
  443n,
  0x0800n,
  0x86ddn,
  0x8100n,
  40000n,
  0xc6336401n,
  0xcb007107n,
  -1n,
];

export class ExprGen {
  constructor(
    private readonly r: () => number,
    private readonly s: Scope,
  ) {}

  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.r() < p;
  }

  /** A bool expression. */
  cond(d: number): string {
    const k = this.int(d > 0 ? 10 : 4);
    const bools = this.s.vars().filter((v) => v.type === "bool");
    if (k === 0 && bools.length) return this.pick(bools).name;
    if (k <= 3 || d <= 0) return this.compare(d);
    if (k === 4) return `!(${this.cond(d - 1)})`;
    if (k === 5 && this.s.maps.length) return this.hasCall();
    if (k === 6) return this.nonZero(this.expr(this.pick(INTS), d - 1));
    const structs = this.s.structNames();
    if (k === 7 && structs.length) return `${this.pick(structs)} ${this.pick(["===", "!=="])} ${this.pick(structs)}`;
    return `(${this.cond(d - 1)} ${this.pick(["&&", "||"])} ${this.cond(d - 1)})`;
  }

  /** `e !== 0`; a constant goes through `as` first (tsc rejects comparing two literal types, TS2367, and so does the compiler). */
  private nonZero(e: Expr): string {
    return e.konst ? `(${e.code} as ${e.type}) !== 0` : `(${e.code}) !== 0`;
  }

  private hasCall(): string {
    const m = this.pick(this.s.maps);
    return `${m.name}.has(${this.key(m)})`;
  }

  /** Any two integers, except a u64 beside a signed value (then a literal of the other type). */
  private compare(d: number): string {
    const a = this.nonLiteral(this.pick(INTS), d);
    let b = this.expr(this.pick(INTS), d);
    const u64VsSigned = (a.type === "u64" && signed(b.type)) || (b.type === "u64" && signed(a.type));
    if (b.konst || u64VsSigned) b = this.lit(a.type, a.type === "u64" || b.type === "u64");
    const op = this.pick(CMP_OPS);
    return this.chance(0.5) ? `${a.code} ${op} ${b.code}` : `${b.code} ${op} ${a.code}`;
  }

  /** A map key: small domains keep hash maps far from full and LRU maps from evicting. */
  key(map: MapSpec): string {
    if (map.cls === "LpmTrie")
      return this.pick(["0xc6336401", "0xc6336402", "0xcb007107", "0x0a000001", this.expr("u32", 1).code]);
    const mask = isArray(map) ? 15 : 7;
    return this.chance(0.3) ? `${this.int(mask + 1)}` : `(${this.expr(map.key, 2).code}) & ${mask}`;
  }

  /** An expression whose static type widens to t. */
  expr(t: IntName, d: number): Expr {
    const k = this.int(d > 0 ? 16 : 7);
    if (k < 3) {
      const v = this.variable(t);
      if (v) return v;
    }
    if (k < 5) {
      const f = this.field(t);
      if (f) return f;
    }
    if (k === 5) return this.lit(t);
    if (k === 6 && !this.s.inHelper() && this.chance(0.2)) {
      const l = this.packetLoad(t, d);
      if (l) return l;
    }
    if (k === 6 && !this.s.inHelper() && widensTo("u32", t)) return { code: "ctx.length", type: "u32" };
    if (k === 7) {
      const g = this.getCall(t, d);
      if (g) return g;
    }
    if (k === 8) {
      const c = this.helperCall(t, d);
      if (c) return c;
    }
    if (k === 9) return { code: `(${this.nonLiteral(this.pick(INTS), d - 1).code} as ${t})`, type: t };
    if (k >= 10 && k <= 12) return this.arith(t, d - 1);
    if (k === 13) return this.shift(t, d - 1);
    if (k === 14) return this.unary(t, d - 1);
    if (k === 15) return this.ternary(t, d - 1);
    return this.variable(t) ?? this.field(t) ?? this.lit(t);
  }

  /** `a op b`: the type is the wider operand's (both widen to t); a literal takes the other's type. */
  private arith(t: IntName, d: number): Expr {
    let a = this.expr(t, d),
      b = this.expr(t, d);
    if (a.konst && b.konst) b = this.nonLiteral(t, d);
    if (a.konst) a = this.lit(b.type);
    if (b.konst) b = this.lit(a.type);
    const [x, y] = this.chance(0.5) ? [a, b] : [b, a];
    const op = this.pick(ARITH);
    return {
      code: `(${x.code} ${op} ${op === "/" || op === "%" ? this.divisor(y).code : y.code})`,
      type: promote(a.type, b.type),
    };
  }

  /** e as a divisor: a constant one is not 0 (refused on purpose, TSB9012); a run-time 0 is fine. */
  divisor(e: Expr): Expr {
    if (!e.konst) return e;
    let code: string;
    do code = this.literal(e.type);
    while (BigInt(code.replace(/[()]/g, "")) === 0n);
    return { code, type: e.type, konst: true };
  }

  /** `a << n`, `a >> n`: the left operand's type; counts are constants 0..63 or any value. */
  private shift(t: IntName, d: number): Expr {
    const op = this.pick(["<<", ">>"]);
    const count = this.chance(0.6) ? this.int(64) : undefined;
    const a = this.nonLiteral(t, d);
    // a count the checker can fold must be in 0..63 (TSB9030), so others are masked
    const n = count !== undefined ? `${count}` : `(${this.nonLiteral(this.pick(INTS), d).code} & 63)`;
    return { code: `(${a.code} ${op} ${n})`, type: a.type };
  }

  private unary(t: IntName, d: number): Expr {
    const a = this.nonLiteral(t, d);
    return { code: `${this.pick(["-", "~"])}(${a.code})`, type: a.type };
  }

  private ternary(t: IntName, d: number): Expr {
    const a = this.nonLiteral(t, d);
    let b = this.expr(t, d);
    if (b.konst) b = this.lit(a.type);
    return { code: `(${this.cond(d)} ? ${a.code} : ${b.code})`, type: promote(a.type, b.type) };
  }

  /** An expression widening to t that is not a constant (expressions of constants fold, and must fit where stored). */
  private nonLiteral(t: IntName, d: number): Expr {
    for (let tries = 0; tries < 4; tries++) {
      const e = this.expr(t, d);
      if (!e.konst) return e;
    }
    return { code: `(${this.s.inHelper() ? "p0" : "ctx.length"} as ${t})`, type: t };
  }

  private variable(t: IntName): Expr | undefined {
    const vs = this.s.vars().filter((v) => v.type !== "bool" && widensTo(v.type, t));
    if (!vs.length) return undefined;
    const v = this.pick(vs);
    return { code: v.name, type: v.type as IntName, konst: v.konst };
  }

  private field(t: IntName): Expr | undefined {
    const fs = this.s.fields().filter((f) => widensTo(f.type, t));
    return fs.length ? this.pick(fs) : undefined;
  }

  private getCall(t: IntName, d: number): Expr | undefined {
    const m = this.s.maps.filter((x) => widensTo(x.value, t));
    if (!m.length) return undefined;
    const map = this.pick(m);
    const dflt = d > 0 && this.chance(0.3) ? this.nonLiteral(map.value, d - 1).code : this.literal(map.value);
    return { code: `(${map.name}.get(${this.key(map)}) ?? ${dflt})`, type: map.value };
  }

  /** `(ctx.loadU16(off) ?? lit)`: a packet load whose type widens to t, at any offset. */
  private packetLoad(t: IntName, d: number): Expr | undefined {
    const loads = Object.entries(PACKET_ACCESS).filter(([, a]) => !a.store && widensTo(`u${a.size * 8}` as IntName, t));
    if (!loads.length) return undefined;
    const [name, a] = this.pick(loads);
    const ty = `u${a.size * 8}` as IntName;
    const dflt = d > 0 && this.chance(0.3) ? this.nonLiteral(ty, d - 1).code : this.literal(ty);
    return { code: `(ctx.${name}(${this.packetOffset(d)}) ?? ${dflt})`, type: ty };
  }

  /** A packet offset: constant, masked, or counted back from the end (sometimes past it). */
  packetOffset(d: number): string {
    const k = this.int(4);
    if (k === 0) return `${this.int(72)}`;
    if (k === 1) return `ctx.length - ${this.int(12)}`;
    if (k === 2) return `(${this.expr("u32", Math.min(d, 1)).code}) & 63`;
    return `${this.pick(["EthHdr.size", "EthHdr.size + Ipv4Hdr.size", "34 + 20"])} + ${this.int(8)}`;
  }

  private helperCall(t: IntName, d: number): Expr | undefined {
    const s = this.s.structVar();
    const hs = this.s.callable().filter((h) => widensTo(h.ret, t) && (!h.struct || s !== undefined));
    if (!hs.length || d <= 0) return undefined;
    const h = this.pick(hs);
    this.s.calling(h);
    const view = h.view ? [this.s.ipView()!] : [];
    const args = [...view, ...h.params.map((p) => this.expr(p, d - 1).code), ...(h.struct ? [s!] : [])];
    return { code: `${h.name}(${args.join(", ")})`, type: h.ret };
  }

  /** A literal of type t, or a top-level constant that fits t. */
  lit(t: IntName, nonNegative = false): Expr {
    const ks = this.s.consts.filter((k) => fits(k.value, t) && (k.value >= 0n || !nonNegative));
    const code = ks.length && this.chance(0.2) ? this.pick(ks).name : this.literal(t, nonNegative);
    return { code, type: t, konst: true };
  }

  /** A literal of type t: interesting packet values, small numbers or random bits. */
  literal(t: IntName, nonNegative = false): string {
    const bits = BITS[t];
    const k = this.int(3);
    let v = k === 0 ? this.pick(INTERESTING) : k === 1 ? BigInt(this.int(10)) : randomBits(this.r, bits);
    v = signed(t) && !nonNegative ? BigInt.asIntN(bits, v) : BigInt.asUintN(signed(t) ? bits - 1 : bits, v);
    if (v < 0n) return `(${v})`;
    return this.chance(0.3) ? `0x${v.toString(16)}` : v.toString();
  }
}

function fits(v: bigint, t: IntName): boolean {
  return (signed(t) ? BigInt.asIntN(BITS[t], v) : BigInt.asUintN(BITS[t], v)) === v;
}

function randomBits(r: () => number, bits: number): bigint {
  let v = 0n;
  for (let i = 0; i < bits; i += 16) v = (v << 16n) | BigInt(Math.floor(r() * 65536));
  return BigInt.asUintN(bits, v);
}

/** Implicit widening (as the checker allows): same type, same signedness and wider, or unsigned into a wider signed. */
export function widensTo(src: IntName, dst: IntName): boolean {
  if (src === dst) return true;
  if (signed(src) === signed(dst)) return BITS[dst] > BITS[src];
  return !signed(src) && signed(dst) && BITS[dst] > BITS[src];
}

/** The static type of arithmetic on two ints: the wider; equal widths with mixed sign give the unsigned. */
function promote(a: IntName, b: IntName): IntName {
  if (BITS[a] !== BITS[b]) return BITS[a] > BITS[b] ? a : b;
  return signed(a) ? b : a;
}

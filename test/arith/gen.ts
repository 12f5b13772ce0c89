// Random integer expressions for the differential test, each built with its model value
// (test/arith/model.ts): leaves are run-time variables read from packet bytes, typed constants
// (folded by the compiler) and literals; operators are all arithmetic, bitwise, shift, unary,
// comparison and logical ones, `as` to every type (from bool too). Also the source of the test
// program: its declarations, the packet that feeds the run-time variables, and the log lines.
import { type Ex, type IntTy, TYPES, arith, compare, cut, needsCast, operandTypes, tyOf, unary } from "./model.js";

export const PER_TYPE = 2; // run-time variables (and typed constants) per integer type
const FIELDS = ["srcAddrHi", "srcAddrLo", "dstAddrHi", "dstAddrLo"];
const ARITH = ["+", "-", "*", "&", "|", "^", "/", "%", "<<", ">>", ">>>"];
export const CMP = ["<", "<=", ">", ">=", "==", "!=", "===", "!=="];

export class ExprGen {
  readonly runtime: Ex[] = [];
  readonly consts: Ex[] = [];
  private decls: string[] = [];
  /** The u64 fields of the Ipv6Hdr views p0..p3 that hold the run-time variables (upper bits random). */
  readonly fields: bigint[] = [];

  constructor(private readonly r: () => number) {
    TYPES.forEach((t) => {
      for (let i = 0; i < PER_TYPE; i++) {
        const n = this.fields.length;
        const v = this.interesting(t);
        this.fields.push(cut((this.big() << BigInt(t.bits)) | cut(v, { ...t, signed: false }), tyOf("u64")));
        const name = `r${t.name}_${i}`;
        this.decls.push(`  const ${name}: ${t.name} = p${n >> 2}.${FIELDS[n & 3]} as ${t.name};`);
        this.runtime.push({ code: name, t, v, konst: false });
        const k = this.interesting(t);
        this.decls.push(`  const k${t.name}_${i}: ${t.name} = ${k};`);
        this.consts.push({ code: `k${t.name}_${i}`, t, v: k, konst: true });
      }
    });
  }

  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  private big(): bigint {
    return BigInt(this.int(2 ** 30)) * 2n ** 34n + BigInt(this.int(2 ** 30)) * 16n + BigInt(this.int(16));
  }

  /** Boundary and ordinary values of t. */
  interesting(t: IntTy): bigint {
    const min = t.signed ? -(2n ** BigInt(t.bits - 1)) : 0n,
      max = t.signed ? 2n ** BigInt(t.bits - 1) - 1n : 2n ** BigInt(t.bits) - 1n;
    const k = this.int(12);
    if (k < 5)
      return this.pick([0n, 1n, 2n, 7n, min, max, min + 1n, max - 1n, t.signed ? -1n : max >> 1n, (max >> 1n) + 1n]);
    if (k < 8) return cut(BigInt(this.int(200)) - (t.signed ? 100n : 0n), t);
    return cut(this.big(), t);
  }

  /** A literal: small, a type boundary, or random up to 64 bits, possibly negative. */
  literal(): Ex {
    const k = this.int(4);
    const v =
      k === 0
        ? this.interesting(this.pick(TYPES))
        : k === 1
          ? this.pick([
              255n,
              256n,
              65535n,
              65536n,
              2n ** 31n,
              2n ** 32n,
              2n ** 63n - 1n,
              2n ** 63n,
              -129n,
              -(2n ** 31n) - 1n,
            ])
          : BigInt(this.int(300)) - 50n;
    return { code: v < 0n ? `(${v})` : `${v}`, t: "lit", v, konst: true };
  }

  /** A typed integer expression of depth <= d; konst: only constants as leaves (folded by the compiler). */
  int_(d: number, konst: boolean): Ex {
    const k = this.int(d > 0 ? 10 : 1);
    if (k === 0) return this.pick(konst || this.r() < 0.3 ? this.consts : this.runtime);
    if (k <= 4) return this.binary(this.pick(ARITH), d - 1, konst);
    if (k <= 6) {
      const x = this.int_(d - 1, konst),
        op = this.pick(["-", "~", "+"]);
      return { code: `${op}(${x.code})`, t: x.t, v: unary(op, x), konst: x.konst };
    }
    const t = this.pick(TYPES);
    const x = k === 7 ? this.bool(d - 1, konst) : this.int_(d - 1, konst);
    return { code: `(${x.code} as ${t.name})`, t, v: cut(x.v, t), konst: x.konst };
  }

  private binary(op: string, d: number, konst: boolean): Ex {
    const a = this.int_(d, konst);
    let b =
      op === "<<" || op === ">>" || op === ">>>"
        ? this.count(d, konst)
        : this.r() < 0.3
          ? this.literal()
          : this.int_(d, konst);
    if ((op === "/" || op === "%") && b.t === "lit") b = b.v % 2n ? b : { ...b, code: `(${b.v + 1n})`, v: b.v + 1n };
    else if (op === "/" || op === "%") b = this.orOne(b);
    const lhsLit = op !== "<<" && op !== ">>" && op !== ">>>" && b.t !== "lit" && this.r() < 0.15;
    const [x, y] = lhsLit ? [this.literal(), b] : [a, b];
    const { t, v } = arith(op, x, y);
    return { code: `(${x.code} ${op} ${y.code})`, t, v, konst: x.konst && y.konst };
  }

  /** `(b | 1)`: never zero, whatever b is. */
  private orOne(b: Ex): Ex {
    const one: Ex = { code: "1", t: "lit", v: 1n, konst: true };
    const { t, v } = arith("|", b, one);
    return { code: `(${b.code} | 1)`, t, v, konst: b.konst };
  }

  /** A shift count: a literal 0..63, a run-time expression (any value), or a constant expression masked to 0..63. */
  private count(d: number, konst: boolean): Ex {
    if (this.r() < 0.4) {
      const v = BigInt(this.int(64));
      return { code: `${v}`, t: "lit", v, konst: true };
    }
    const c = this.int_(Math.min(d, 1), konst);
    if (!c.konst) return c;
    const { t, v } = arith("&", c, { code: "63", t: "lit", v: 63n, konst: true });
    return { code: `(${c.code} & 63)`, t, v, konst: true };
  }

  /** A bool expression: a comparison, `!`, `&&` or `||`. */
  bool(d: number, konst: boolean): Ex {
    const k = this.int(d > 0 ? 8 : 6);
    if (k < 6) return this.comparison(this.pick(CMP), this.operand(d, konst), this.operand(d, konst));
    if (k === 6) {
      const x = this.bool(d - 1, konst);
      return { code: `!${x.code}`, t: "bool", v: x.v ? 0n : 1n, konst: x.konst };
    }
    const a = this.bool(d - 1, konst),
      b = this.bool(d - 1, konst),
      and = this.r() < 0.5;
    return {
      code: `(${a.code} ${and ? "&&" : "||"} ${b.code})`,
      t: "bool",
      v: (and ? a.v && b.v : a.v || b.v) ? 1n : 0n,
      konst: a.konst && b.konst,
    };
  }

  private operand(d: number, konst: boolean): Ex {
    return this.r() < 0.2 ? this.literal() : this.int_(Math.max(0, d - 1), konst);
  }

  /** `a op b`; a u64 against a signed operand gets the `as` the compiler asks for. */
  comparison(op: string, a: Ex, b: Ex): Ex {
    if (a.t === "lit" && b.t === "lit") a = this.pick(this.consts);
    if (needsCast(a, b)) {
      const [ta] = operandTypes(a, b, true);
      const target = tyOf(this.r() < 0.5 ? "u64" : "i64");
      const side = ta.signed === (target.name === "u64") ? a : b; // cast the signed side to u64, or the u64 side to i64
      const cast: Ex = {
        code: `(${side.code} as ${target.name})`,
        t: target,
        v: cut(side.v, target),
        konst: side.konst,
      };
      return this.comparison(op, side === a ? cast : a, side === b ? cast : b);
    }
    return {
      code: `(${a.code} ${op} ${b.code})`,
      t: "bool",
      v: compare(op, a, b) ? 1n : 0n,
      konst: a.konst && b.konst,
    };
  }

  /** The program: packet views, variable declarations, one log line per group of expressions. */
  source(name: string, groups: Ex[][]): string {
    const views = Array.from(
      { length: Math.ceil(this.fields.length / 4) },
      (_, i) => `  const p${i} = ctx.header(Ipv6Hdr, ${14 + 40 * i});\n  if (p${i} === null) return XdpAction.Aborted;`,
    );
    const logs = groups.map((g) => `  info(\`${g.map((e) => `\${${e.code}}`).join(" ")}\`);`);
    return `import { XdpContext, XdpAction, Ipv6Hdr, info, u8, u16, u32, u64, i8, i16, i32, i64 } from "tsebpf";
export function ${name}(ctx: XdpContext): XdpAction {
${views.join("\n")}
${this.decls.join("\n")}
${logs.join("\n")}
  return XdpAction.Pass;
}
`;
  }

  /** The frame: 14 bytes of Ethernet, then the fields in network byte order. */
  packet(): Uint8Array {
    const b = new Uint8Array(14 + 40 * Math.ceil(this.fields.length / 4));
    const v = new DataView(b.buffer);
    this.fields.forEach((f, n) => v.setBigUint64(14 + 40 * (n >> 2) + 8 + 8 * (n & 3), f));
    return b;
  }
}

// Random DSL programs, valid by construction: takes a seeded random source, produces the source
// text of one XDP program with its maps (and LPM trie entries to preload). Covers header views at
// constant and variable offsets with null checks, field reads and writes, all integer types,
// let/const, if/else, ternaries, && || ??, constant loops, early returns (also inside loops),
// inlined helper functions, hash/LRU/array/per-CPU/LPM maps, adjustHead/adjustTail and logs.
//
// Integer expressions are built so that the values are the same under the ISSUE7 §1 rule
// (operands widened to 64 bits, narrowed only when stored or by `as`) and under the older rule
// (arithmetic wraps at the operand width): a "ring" tree (+ - * & | ^ << ~, neg) has one operand
// of its exact static type at every node and is only consumed where it is narrowed to exactly that
// type (declaration, assignment, field, map key/value, argument, return, `as` to a type no wider);
// comparisons, / % >>, logs and conditions only see "exact" values (stored, read or cast), and
// compare only types whose ordering both rules agree on (same signedness, or unsigned narrower).
import { HEADERS } from "../../compiler/dsl/catalog.js";
import type { IntName } from "../../compiler/dsl/ast.js";

export interface MapSpec { name: string; cls: string; key: IntName; value: IntName; max: number }
export interface GenProgram { source: string; name: string; maps: MapSpec[]; lpm: { addr: number; prefix: number; value: bigint }[] }

const INTS: IntName[] = ["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64"];
const BITS: Record<IntName, number> = { u8: 8, u16: 16, u32: 32, u64: 64, i8: 8, i16: 16, i32: 32, i64: 64 };
const signed = (t: IntName): boolean => t[0] === "i";
const ACTIONS = ["Aborted", "Drop", "Pass", "Tx", "Redirect"];
const RING_OPS = ["+", "-", "*", "&", "|", "^"];
const CMP_OPS = ["===", "!==", "<", "<=", ">", ">=", "==", "!="];
/** Field values the packets use (test/gen/frames.ts), so comparisons sometimes match. */
const INTERESTING = [0n, 1n, 2n, 4n, 5n, 6n, 17n, 53n, 58n, 64n, 80n, 128n, 255n, 443n, 0x0800n, 0x86ddn, 0x8100n, 40000n, 0xc6336401n, 0xcb007107n];
const MAX_LOOP_TRIPS = 4;

interface Var { name: string; type: IntName | "bool"; mutable: boolean }
interface View { name: string; header: string; gen: number }
interface Helper { name: string; params: IntName[]; ret: IntName }
interface Expr { code: string; type: IntName }

export const IMPORTS = [
  "XdpContext", "XdpAction", "EthHdr", "VlanHdr", "Ipv4Hdr", "Ipv6Hdr", "TcpHdr", "UdpHdr", "IcmpHdr",
  "HashMap", "LruHashMap", "PerCpuHashMap", "ArrayMap", "PerCpuArray", "LpmTrie",
  "ETH_P_IP", "ETH_P_IPV6", "ETH_P_8021Q", "IPPROTO_TCP", "IPPROTO_UDP", "IPPROTO_ICMP",
  "info", "debug", "warn", "hex", "ipv4", "mac", "bool", ...INTS,
];

export class ProgramGen {
  private out: string[] = [];
  private indent = 1;
  private scopes: Var[][] = [];
  private views: View[][] = [];
  private viewGen = 0;
  private adjusts = 0;
  private n = 0;
  private budget = 0;
  private loopDepth = 0;
  private inHelper: Helper | undefined;
  private litCap: [bigint, bigint] | undefined;
  private maps: MapSpec[] = [];
  private helpers: Helper[] = [];

  constructor(private readonly r: () => number) {}

  private int(n: number): number {
    return Math.floor(this.r() * n);
  }
  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  private chance(p: number): boolean {
    return this.r() < p;
  }
  private fresh(prefix: string): string {
    return `${prefix}${this.n++}`;
  }
  private line(s: string): void {
    this.out.push("  ".repeat(this.indent) + s);
  }

  program(name: string): GenProgram {
    const lpm: GenProgram["lpm"] = [];
    for (let i = 0, k = this.int(4); i < k; i++) this.maps.push(this.mapSpec(i));
    if (this.maps.some((m) => m.cls === "LpmTrie")) lpm.push(...this.lpmEntries());
    const head = [`import { ${IMPORTS.join(", ")} } from "tsebpf";`, ""];
    for (const m of this.maps) head.push(`export const ${m.name} = new ${m.cls}<${m.key}, ${m.value}>(${m.max});`);
    const funcs: string[] = [];
    for (let i = 0, k = this.int(3); i < k; i++) funcs.push(...this.helper(i), "");
    funcs.push(...this.main(name));
    return { source: [...head, "", ...funcs, ""].join("\n"), name, maps: this.maps, lpm };
  }

  private mapSpec(i: number): MapSpec {
    const cls = this.pick(["HashMap", "HashMap", "LruHashMap", "PerCpuHashMap", "ArrayMap", "ArrayMap", "PerCpuArray", "LpmTrie"]);
    const array = cls === "ArrayMap" || cls === "PerCpuArray";
    const key: IntName = array || cls === "LpmTrie" ? "u32" : this.pick(INTS);
    return { name: `M${i}`, cls, key, value: this.pick(INTS), max: array ? this.pick([4, 8, 16]) : 256 };
  }

  private lpmEntries(): GenProgram["lpm"] {
    const nets: [number, number][] = [[0xc6336400, 24], [0xc6336401, 32], [0xcb007100, 24], [0xcb000000, 8], [0, 0]];
    return nets.filter(() => this.chance(0.6)).map(([addr, prefix]) => ({ addr, prefix, value: BigInt(this.int(1000)) }));
  }

  // ------------------------------------------------------------------ functions

  private helper(i: number): string[] {
    const params = Array.from({ length: 1 + this.int(3) }, () => this.pick(INTS));
    const h: Helper = { name: `h${i}`, params, ret: this.pick(INTS) };
    const args = params.map((t, j) => `p${j}: ${t}`).join(", ");
    this.begin(`function ${h.name}(${args}): ${h.ret} {`);
    this.scopes = [params.map((t, j) => ({ name: `p${j}`, type: t, mutable: false }))];
    this.views = [[]];
    this.inHelper = h;
    this.budget = 3 + this.int(6);
    this.block();
    this.line(`return ${this.value(h.ret)};`);
    this.inHelper = undefined;
    this.helpers.push(h);
    return this.end();
  }

  private main(name: string): string[] {
    this.begin(`export function ${name}(ctx: XdpContext): XdpAction {`);
    this.scopes = [[]];
    this.views = [[]];
    this.budget = 6 + this.int(14);
    if (this.chance(0.7)) this.prologue();
    this.block();
    this.line(`return ${this.action()};`);
    return this.end();
  }

  private begin(header: string): void {
    this.out = [header];
    this.indent = 1;
  }
  private end(): string[] {
    this.out.push("}");
    return this.out;
  }

  /** The usual parse: Ethernet, an optional VLAN tag, IPv4 or IPv6, then TCP/UDP/ICMP. */
  private prologue(): void {
    this.acquire("EthHdr", "0", "return");
    const eth = this.viewOf("EthHdr")!;
    if (this.chance(0.4)) {
      this.line(`let l3: u32 = EthHdr.size;`);
      this.scopes[this.scopes.length - 1]!.push({ name: "l3", type: "u32", mutable: true });
      this.line(`if (${eth.name}.etherType === ETH_P_8021Q) {`);
      this.nested(() => {
        this.acquire("VlanHdr", "EthHdr.size", "return");
        this.line(`l3 = EthHdr.size + VlanHdr.size;`);
      });
      this.line("}");
    }
    const l3 = this.scopes.flat().some((v) => v.name === "l3") ? "l3" : "EthHdr.size";
    const v6 = this.chance(0.25);
    this.line(`if (${eth.name}.etherType !== ${v6 ? "ETH_P_IPV6" : "ETH_P_IP"} && ${l3} === EthHdr.size) return ${this.action()};`);
    this.acquire(v6 ? "Ipv6Hdr" : "Ipv4Hdr", l3, this.chance(0.7) ? "return" : "none");
    const ip = this.viewOf(v6 ? "Ipv6Hdr" : "Ipv4Hdr");
    if (!ip || this.chance(0.3)) return;
    const l4 = this.pick(["TcpHdr", "UdpHdr", "IcmpHdr"]);
    const off = v6 ? `${l3} + Ipv6Hdr.size` : this.chance(0.5) ? `${l3} + ${ip.name}.ihl * 4` : `${l3} + Ipv4Hdr.size`;
    this.acquire(l4, off, this.pick(["return", "none"]));
  }

  /** `const v = ctx.header(H, off)` then a null check that returns, or an `if (v !== null)` block. */
  private acquire(header: string, off: string, how: "return" | "block" | "none"): void {
    const name = this.fresh(`${header.slice(0, 3).toLowerCase()}_`);
    this.line(`const ${name} = ctx.header(${header}, ${off});`);
    const view: View = { name, header, gen: this.viewGen };
    if (how === "return") {
      this.line(`if (${name} === null) return ${this.action()};`);
      this.views[this.views.length - 1]!.push(view);
    } else if (how === "block") {
      this.line(`if (${name} !== null) {`);
      this.nested(() => {
        this.views[this.views.length - 1]!.push(view);
        this.block();
      });
      this.line("}");
    }
  }

  private viewOf(header: string): View | undefined {
    return this.liveViews().find((v) => v.header === header);
  }
  private liveViews(): View[] {
    return this.views.flat().filter((v) => v.gen === this.viewGen);
  }

  // ------------------------------------------------------------------ statements

  private nested(fn: () => void): void {
    this.indent++;
    this.scopes.push([]);
    this.views.push([]);
    fn();
    this.views.pop();
    this.scopes.pop();
    this.indent--;
  }

  /** Statements until this block's share of the budget is spent. */
  private block(): void {
    for (let k = 1 + this.int(4); k > 0 && this.budget > 0; k--) {
      this.budget--;
      this.statement();
    }
  }

  private statement(): void {
    const w = this.int(100);
    if (w < 22) this.decl();
    else if (w < 34) this.assign();
    else if (w < 46) this.ifStmt();
    else if (w < 52) this.earlyReturn();
    else if (w < 58 && this.loopDepth < 2) this.forStmt();
    else if (w < 70) this.log();
    else if (w < 80) this.mapStmt();
    else if (w < 88 && !this.inHelper) this.viewStmt();
    else if (w < 93 && !this.inHelper) this.fieldWrite();
    else if (w < 96 && !this.inHelper && this.loopDepth === 0 && this.adjusts < 2) this.adjust();
    else this.decl();
  }

  private declare(v: Var): void {
    this.scopes[this.scopes.length - 1]!.push(v);
  }
  private vars(pred: (v: Var) => boolean): Var[] {
    return this.scopes.flat().filter(pred);
  }

  private decl(): void {
    const name = this.fresh("v");
    const mutable = this.chance(0.5);
    if (this.chance(0.15)) {
      this.line(`${mutable ? "let" : "const"} ${name}: bool = ${this.cond(2)};`);
      this.declare({ name, type: "bool", mutable });
      return;
    }
    const t = this.pick(INTS);
    this.line(`${mutable ? "let" : "const"} ${name}: ${t} = ${this.value(t)};`);
    this.declare({ name, type: t, mutable });
  }

  private assign(): void {
    const cands = this.vars((v) => v.mutable);
    if (!cands.length) return this.decl();
    const v = this.pick(cands);
    if (v.type === "bool") return this.line(`${v.name} = ${this.cond(2)};`);
    const t = v.type;
    const k = this.int(10);
    if (k < 3) this.line(`${v.name} = ${this.value(t)};`);
    else if (k < 7) this.line(`${v.name} ${this.pick(RING_OPS)}= ${this.value(t)};`);
    else if (k < 8) this.line(`${v.name}${this.pick(["++", "--"])};`);
    else if (k < 9) this.line(`${v.name} ${this.pick(["<<=", ">>="])} ${this.int(BITS[t])};`);
    else this.line(`${v.name} ${this.pick(["/=", "%="])} ${1 + this.int(30)};`);
  }

  private ifStmt(): void {
    this.line(`if (${this.cond(3)}) {`);
    this.nested(() => this.block());
    if (this.chance(0.5)) {
      this.line("} else {");
      this.nested(() => this.block());
    }
    this.line("}");
  }

  private returnStmt(): string {
    return this.inHelper ? `return ${this.value(this.inHelper.ret)};` : `return ${this.action()};`;
  }

  private earlyReturn(): void {
    this.line(`if (${this.cond(2)}) ${this.returnStmt()}`);
  }

  private forStmt(): void {
    const i = this.fresh("i");
    const t = this.pick(["u32", "i32", "u8", "u64", "i64"] as IntName[]);
    const trips = 1 + this.int(MAX_LOOP_TRIPS);
    this.line(`for (let ${i}: ${t} = 0; ${i} < ${trips}; ${i}++) {`);
    this.loopDepth++;
    this.nested(() => {
      this.declare({ name: i, type: t, mutable: false });
      this.block();
      if (this.chance(0.3)) this.earlyReturn();
    });
    this.loopDepth--;
    this.line("}");
  }

  private log(): void {
    const parts: string[] = [];
    for (let k = 1 + this.int(3); k > 0; k--) {
      const t = this.pick(INTS);
      const e = this.exact(t, 2);
      const f = this.int(10);
      if (f < 2) parts.push(`h=\${hex(${e.code})}`);
      else if (f < 3 && e.type === "u32") parts.push(`a=\${ipv4(${e.code})}`);
      else if (f < 4 && e.type === "u64") parts.push(`m=\${mac(${e.code})}`);
      else if (f < 5) parts.push(`b=\${${this.cond(1)}}`);
      else parts.push(`x=\${${e.code}}`);
    }
    this.line(`${this.pick(["info", "info", "debug", "warn"])}(\`${this.fresh("L")} ${parts.join(" ")}\`);`);
  }

  private mapStmt(): void {
    const m = this.maps.filter((x) => x.cls !== "LpmTrie");
    if (!m.length) return this.log();
    const map = this.pick(m);
    const array = isArray(map);
    const k = this.int(10);
    if (k < 5) this.line(`${map.name}.set(${this.key(map)}, ${this.value(map.value)});`);
    else if (k < 8) this.line(`${map.name}.add(${this.key(map)}, ${this.value(map.value)});`);
    else if (!array) this.line(`${map.name}.delete(${this.key(map)});`);
    else this.line(`${map.name}.set(${this.key(map)}, ${this.value(map.value)});`);
  }

  /** A key expression: small domains keep hash maps far from full and LRU maps from evicting. */
  private key(map: MapSpec): string {
    if (map.cls === "LpmTrie") return this.pick(["0xc6336401", "0xc6336402", "0xcb007107", "0x0a000001", this.exact("u32", 1).code]);
    const mask = isArray(map) ? 15 : 7;
    return this.chance(0.3) ? `${this.int(mask + 1)}` : `(${this.ringOrExact(map.key, 2)}) & ${mask}`;
  }

  private viewStmt(): void {
    const h = this.pick(Object.keys(HEADERS));
    const ip = this.viewOf("Ipv4Hdr");
    const offs = ["EthHdr.size", "EthHdr.size + Ipv4Hdr.size", "EthHdr.size + VlanHdr.size", "EthHdr.size + Ipv6Hdr.size", "0", `${this.int(60)}`];
    if (ip) offs.push(`EthHdr.size + ${ip.name}.ihl * 4`);
    const off = this.chance(0.25) ? `(${this.exact("u32", 1).code}) & 63` : this.pick(offs);
    this.acquire(h, off, this.pick(["return", "block", "block"]));
  }

  private fieldWrite(): void {
    const views = this.liveViews();
    if (!views.length) return this.viewStmt();
    const v = this.pick(views);
    const fields = Object.entries(HEADERS[v.header]!.fields).filter(([, f]) => f.bitWidth === undefined);
    const [fname, f] = this.pick(fields);
    const op = this.pick(["=", "=", "+=", "^=", "|="]);
    this.line(`${v.name}.${fname} ${op} ${this.value(f.type)};`);
  }

  private adjust(): void {
    const r = this.fresh("r");
    const call = this.chance(0.6) ? `ctx.adjustHead(${this.pick([-8, -4, -2, 2, 4, 14, 20, 40, 100, -216, -217])})` : `ctx.adjustTail(${this.pick([-30, -8, -2, 2, 6, 10])})`;
    this.line(`const ${r}: i32 = ${call};`);
    this.declare({ name: r, type: "i32", mutable: false });
    this.adjusts++;
    this.viewGen++;
  }

  private action(): string {
    return this.chance(0.7) ? `XdpAction.${this.pick(ACTIONS)}` : `(${this.cond(2)} ? XdpAction.${this.pick(ACTIONS)} : XdpAction.${this.pick(ACTIONS)})`;
  }

  // ------------------------------------------------------------------ expressions

  /** A bool expression. */
  cond(d: number): string {
    const k = this.int(d > 0 ? 10 : 4);
    const bools = this.vars((v) => v.type === "bool");
    if (k === 0 && bools.length) return this.pick(bools).name;
    if (k <= 3 || d <= 0) return this.compare();
    if (k === 4) return `!(${this.cond(d - 1)})`;
    if (k === 5) return this.hasCall() ?? this.compare();
    if (k === 6) return `(${this.exact(this.pick(INTS), 1).code}) !== 0`;
    return `(${this.cond(d - 1)} ${this.pick(["&&", "||"])} ${this.cond(d - 1)})`;
  }

  private hasCall(): string | undefined {
    if (!this.maps.length) return undefined;
    const m = this.pick(this.maps.filter((x) => x.cls !== "RingBuf"));
    return `${m.name}.has(${this.key(m)})`;
  }

  /** Two exact operands whose ordering agrees under both integer rules (a literal takes the other side's type). */
  private compare(): string {
    const t = this.pick(INTS);
    const a = this.anchor(t, 1);
    const op = this.pick(CMP_OPS);
    const ok = INTS.filter((x) => signed(x) === signed(t) || compatible(t, x));
    const b = this.exact(this.pick(ok), 1);
    const agree = signed(b.type) === signed(t) || compatible(t, b.type);
    const other = isLiteral(b.code) || !agree ? this.literal(t) : b.code;
    return this.chance(0.5) ? `${a} ${op} ${other}` : `${other} ${op} ${a}`;
  }

  /** A value for a destination of type t (narrowed there): a ring tree of t or an exact value widening to t. */
  value(t: IntName): string {
    return this.ringOrExact(t, 3);
  }

  private ringOrExact(t: IntName, d: number): string {
    // a ring tree of constants may fold to a value outside t: `as` narrows it where a store would be an error
    return this.chance(0.5) ? `(${this.ring(t, d)} as ${t})` : this.exact(t, d).code;
  }

  /**
   * A ring tree of static type exactly t. Its literals are small: the checker types a literal by
   * the context (a narrower sibling, a cast) rather than by its own sibling — the same false
   * rejection as `(1000 + ctx.length) as u8` (ISSUE7 §1, helper int).
   */
  private ring(t: IntName, d: number): string {
    return this.capped("i8", () => this.ringTree(t, d));
  }

  private ringTree(t: IntName, d: number): string {
    if (d <= 0) return this.anchor(t, 0);
    const k = this.int(10);
    if (k === 0) return `~(${this.ring(t, d - 1)})`;
    if (k === 1 && signed(t)) return `-(${this.ring(t, d - 1)})`;
    if (k === 2) return `((${this.ring(t, d - 1)}) << ${this.int(BITS[t])})`;
    const a = this.chance(0.5) ? this.ring(t, d - 1) : this.anchor(t, d - 1);
    const b = this.ringOperand(t, d - 1);
    const op = this.pick(RING_OPS);
    return this.chance(0.5) ? `(${a} ${op} ${b})` : `(${b} ${op} ${a})`;
  }

  /** An exact value of static type exactly t that is not a literal (it fixes a ring node's type). */
  private anchor(t: IntName, d: number): string {
    for (let tries = 0; tries < 4; tries++) {
      const e = this.exact(t, d);
      if (e.type === t && !isLiteral(e.code)) return e.code;
    }
    return `(${this.inHelper ? "p0" : "ctx.length"} as ${t})`;
  }

  /** The other operand of a ring node: a ring tree or exact value of t, a narrower exact value, or a literal. */
  private ringOperand(t: IntName, d: number): string {
    const k = this.int(4);
    if (k === 0) return this.literal(t);
    if (k === 1) {
      const narrower = INTS.filter((x) => BITS[x] < BITS[t]);
      const e = narrower.length ? this.exact(this.pick(narrower), d) : undefined;
      if (e && !isLiteral(e.code)) return e.code;
    }
    return k === 2 ? this.ring(t, d) : this.anchor(t, d);
  }

  /** An exact value whose static type widens to t (usually exactly t). */
  exact(t: IntName, d: number): Expr {
    const k = this.int(d > 0 ? 16 : 7);
    if (k < 3) { const v = this.variable(t); if (v) return v; }
    if (k < 5) { const f = this.field(t); if (f) return f; }
    if (k === 5) return { code: this.literal(t), type: t };
    if (k === 6 && t === "u32" && !this.inHelper) return { code: "ctx.length", type: t };
    if (k === 7) { const g = this.getCall(t, d); if (g) return g; }
    if (k === 8) { const c = this.helperCall(t, d); if (c) return c; }
    if (k === 9) return { code: `(${this.capped(t, () => this.ring(this.wider(t), d - 1))} as ${t})`, type: t };
    if (k === 10) return { code: `(${this.capped(t, () => this.nonLiteral(this.pick(INTS), d - 1).code)} as ${t})`, type: t };
    if (k === 11) return this.binary(this.nonLiteral(t, d - 1), this.pick(["/", "%"]), 1 + this.int(30));
    if (k === 12) return this.binary(this.nonLiteral(t, d - 1), ">>", this.int(BITS[t]));
    if (k === 13) return this.ternary(t, d - 1);
    return this.variable(t) ?? this.field(t) ?? { code: this.literal(t), type: t };
  }

  /** `a op literal`: the literal takes a's type, and so does the result. */
  private binary(a: Expr, op: string, lit: number): Expr {
    return { code: `(${a.code} ${op} ${op === ">>" ? lit % BITS[a.type] : lit})`, type: a.type };
  }

  private ternary(t: IntName, d: number): Expr {
    const a = this.nonLiteral(t, d);
    let b = this.exact(t, d);
    if (signed(a.type) !== signed(b.type) || isLiteral(b.code)) b = { code: this.literal(a.type), type: a.type };
    return { code: `(${this.cond(d)} ? ${a.code} : ${b.code})`, type: promote(a.type, b.type) };
  }

  /** An exact value widening to t that is not a bare literal (literal-only trees type differently). */
  private nonLiteral(t: IntName, d: number): Expr {
    const e = this.exact(t, d);
    return isLiteral(e.code) ? { code: this.anchor(t, d), type: t } : e;
  }

  private wider(t: IntName): IntName {
    return this.pick(INTS.filter((x) => BITS[x] >= BITS[t]));
  }

  /** A variable of type t, or of a type that widens to t. */
  private variable(t: IntName): Expr | undefined {
    const vs = this.vars((v) => v.type !== "bool" && widensTo(v.type, t));
    if (!vs.length) return undefined;
    const v = this.pick(vs);
    return { code: v.name, type: v.type as IntName };
  }

  private field(t: IntName): Expr | undefined {
    const cands: Expr[] = [];
    for (const v of this.liveViews())
      for (const [name, f] of Object.entries(HEADERS[v.header]!.fields))
        if (widensTo(f.type, t)) cands.push({ code: `${v.name}.${name}`, type: f.type });
    return cands.length ? this.pick(cands) : undefined;
  }

  private getCall(t: IntName, d: number): Expr | undefined {
    const m = this.maps.filter((x) => x.value === t);
    if (!m.length) return undefined;
    const map = this.pick(m);
    return { code: `(${map.name}.get(${this.key(map)}) ?? ${d > 0 && this.chance(0.3) ? this.exact(t, d - 1).code : this.literal(t)})`, type: t };
  }

  private helperCall(t: IntName, d: number): Expr | undefined {
    const hs = this.helpers.filter((h) => h.ret === t && h !== this.inHelper);
    if (!hs.length || d <= 0) return undefined;
    const h = this.pick(hs);
    return { code: `${h.name}(${h.params.map((p) => this.ringOrExact(p, d - 1)).join(", ")})`, type: t };
  }

  /**
   * Under `e as T` the checker types e's literals as T (the `(1000 + ctx.length) as u8` false
   * rejection, ISSUE7 §1, helper int): literals generated inside fit T too.
   */
  private capped<R>(t: IntName, fn: () => R): R {
    const saved = this.litCap;
    const [lo, hi] = range(t);
    this.litCap = saved ? [lo > saved[0] ? lo : saved[0], hi < saved[1] ? hi : saved[1]] : [lo, hi];
    try {
      return fn();
    } finally {
      this.litCap = saved;
    }
  }

  /** A literal that fits t (and the cast it is under): interesting packet values, small numbers or random bits. */
  literal(t: IntName): string {
    const bits = BITS[t];
    const k = this.int(3);
    let v = k === 0 ? this.pick(INTERESTING) : k === 1 ? BigInt(this.int(10)) : randomBits(this.r, bits);
    v = signed(t) ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
    if (this.litCap && (v < this.litCap[0] || v > this.litCap[1])) v = BigInt(this.int(10));
    if (v < 0n) return `(${v})`;
    return this.chance(0.3) ? `0x${v.toString(16)}` : v.toString();
  }
}

function range(t: IntName): [bigint, bigint] {
  const b = BigInt(BITS[t]);
  return signed(t) ? [-(1n << (b - 1n)), (1n << (b - 1n)) - 1n] : [0n, (1n << b) - 1n];
}

const isArray = (m: MapSpec): boolean => m.cls === "ArrayMap" || m.cls === "PerCpuArray";

function isLiteral(code: string): boolean {
  return /^\(?-?(0x)?[0-9a-f]+\)?$/.test(code);
}

function randomBits(r: () => number, bits: number): bigint {
  let v = 0n;
  for (let i = 0; i < bits; i += 16) v = (v << 16n) | BigInt(Math.floor(r() * 65536));
  return BigInt.asUintN(bits, v);
}

/** Implicit widening (as the checker allows): same type, same signedness and wider, or unsigned into a wider signed. */
function widensTo(src: IntName, dst: IntName): boolean {
  if (src === dst) return true;
  if (signed(src) === signed(dst)) return BITS[dst] > BITS[src];
  return !signed(src) && signed(dst) && BITS[dst] > BITS[src];
}

/** The static type of arithmetic on two ints: the wider; equal widths with mixed sign give the unsigned. */
function promote(a: IntName, b: IntName): IntName {
  if (BITS[a] !== BITS[b]) return BITS[a] > BITS[b] ? a : b;
  return signed(a) ? b : a;
}

/** Mixed-signedness comparisons both rules order alike: the unsigned operand is the narrower one. */
function compatible(a: IntName, b: IntName): boolean {
  const [u, s] = signed(a) ? [b, a] : [a, b];
  return BITS[u] < BITS[s];
}

export function generateProgram(r: () => number, name: string): GenProgram {
  return new ProgramGen(r).program(name);
}

// Random DSL programs, valid by construction: takes a seeded random source, produces the source
// text of one XDP program with its maps (and LPM trie entries to preload). Covers header views at
// constant and variable offsets with null checks, field reads and writes, all integer types,
// let/const and top-level constants, if/else if/else, ternaries, && || ??, null checks narrowed
// by && and ||, constant loops (up, down, by 2), early returns (also inside loops), helper
// functions (inlined or called as BPF subprograms; integer parameters, a struct by reference),
// hash/LRU/array/per-CPU/LPM maps (get/has/set/add/delete, `M.get` into a nullable const), packet
// loads and stores at constant and variable offsets (ctx.loadU16 …), adjustHead/adjustTail, logs
// at every level with every formatter, and a struct type with integer fields and a FixedArray
// field: struct locals from object literals (some near copies of another), field and element reads
// and writes (`op=`; elements at constant and variable indexes, also outside the array), for…of,
// struct equality (`s1 === s2`) in conditions.
// Global variables (test/gen/globals.ts: integer lets, config<T>() constants, a let and a const
// FixedArray) are decided by a random source of the program's name, so programs without them stay
// as they were.
//
// With `control` (GenOptions) also while and do…while loops on counters, for loops with a runtime
// test beside the counter bound, break and continue (labelled too, out of nested loops and
// switches) and switch statements with fall-through and default; without it the programs are the
// ones earlier sessions generated from the same seed.
//
// Expressions come from test/gen/exprs.ts. Programs stay below the compiler's limits (loops of at
// most 4 trips, two levels deep; a few statements per block).
import { HEADERS, PACKET_ACCESS } from "../../compiler/dsl/catalog.js";
import type { IntName } from "../../compiler/dsl/ast.js";
import { ExprGen, INTS, isArray, type Expr, type Helper, type MapSpec, type Scope } from "./exprs.js";
import { GlobalsGen } from "./globals.js";
import { rng } from "../helpers/rng.js";

export type { MapSpec };
export interface GenProgram {
  source: string;
  name: string;
  maps: MapSpec[];
  lpm: { addr: number; prefix: number; value: bigint }[];
}

const ACTIONS = ["Aborted", "Drop", "Pass", "Tx", "Redirect"];
const ASSIGN_OPS = ["+", "-", "*", "&", "|", "^", "/", "%", "<<", ">>"];
const MAX_LOOP_TRIPS = 4;

interface Var {
  name: string;
  type: IntName | "bool";
  mutable: boolean;
  konst?: boolean;
}
interface View {
  name: string;
  header: string;
  gen: number;
}

export const IMPORTS = [
  "XdpContext",
  "XdpAction",
  "EthHdr",
  "VlanHdr",
  "Ipv4Hdr",
  "Ipv6Hdr",
  "TcpHdr",
  "UdpHdr",
  "IcmpHdr",
  "HashMap",
  "LruHashMap",
  "PerCpuHashMap",
  "ArrayMap",
  "PerCpuArray",
  "LpmTrie",
  "ETH_P_IP",
  "ETH_P_IPV6",
  "ETH_P_8021Q",
  "IPPROTO_TCP",
  "IPPROTO_UDP",
  "IPPROTO_ICMP",
  "info",
  "debug",
  "warn",
  "error",
  "trace",
  "hex",
  "ipv4",
  "mac",
  "bool",
  "FixedArray",
  ...INTS,
];

/** The program's struct type: integer fields f0.., then an array field `arr`. */
interface StructSpec {
  fields: IntName[];
  elem: IntName;
  len: number;
}

export interface GenOptions {
  /** Generate while/do…while, break/continue (labelled), switch and runtime loop tests too. */
  control?: boolean;
}

/** A statement break/continue may leave: a loop (with its label, if any) or a switch. */
interface JumpScope {
  loop: boolean;
  label?: string;
}

export class ProgramGen implements Scope {
  private out: string[] = [];
  private indent = 1;
  private scopes: Var[][] = [];
  private views: View[][] = [];
  private viewGen = 0;
  private adjusts = 0;
  private n = 0;
  private budget = 0;
  private loopDepth = 0;
  private current: Helper | undefined;
  private helpers: Helper[] = [];
  private readonly x: ExprGen;
  maps: MapSpec[] = [];
  consts: { name: string; value: bigint }[] = [];
  private struct: StructSpec | undefined;
  private structVars: string[][] = [];
  private g: GlobalsGen | undefined;
  /** Decides view parameters and global functions: not from r, so programs without them are as before. */
  private calls: () => number = () => 1;
  /** Packet walks (packetBytes): a random source of their own, so programs without them stay as they were. */
  private walks: () => number = () => 1;

  private jumps: JumpScope[] = [];

  constructor(
    r: () => number,
    private readonly opts: GenOptions = {},
  ) {
    this.x = new ExprGen(r, this);
  }

  private int(n: number): number {
    return this.x.int(n);
  }
  private pick<T>(xs: readonly T[]): T {
    return this.x.pick(xs);
  }
  private chance(p: number): boolean {
    return this.x.chance(p);
  }
  private value(t: IntName): string {
    return this.x.expr(t, 3).code;
  }
  private valueExpr(t: IntName): Expr {
    return this.x.expr(t, 3);
  }
  private cond(d: number): string {
    return this.x.cond(d);
  }

  // ------------------------------------------------------------------ Scope (for ExprGen)

  vars(): Var[] {
    return this.scopes.flat();
  }
  fields(): Expr[] {
    const views = this.liveViews().flatMap((v) =>
      Object.entries(HEADERS[v.header]!.fields).map(([name, f]) => ({ code: `${v.name}.${name}`, type: f.type })),
    );
    const st = this.struct;
    const structs = st
      ? this.structVars
          .flat()
          .flatMap((s) => [
            ...st.fields.map((t, i) => ({ code: `${s}.f${i}`, type: t })),
            { code: `${s}.arr[${this.int(st.len)}]`, type: st.elem },
          ])
      : [];
    return [...views, ...structs, ...(this.g?.fields() ?? [])];
  }
  structNames(): string[] {
    return this.structVars.flat();
  }
  /** Helpers a call may name here: one taking a view needs a checked IPv4 view; a global function calls only quiet ones. */
  callable(): Helper[] {
    const ok = (h: Helper) => (!h.view || this.ipView()) && (!this.current?.global || (h.quiet && !h.logs));
    return this.helpers.filter((h) => h !== this.current && ok(h));
  }
  calling(h: Helper): void {
    if (h.logs && this.current) this.current.logs = true;
  }
  ipView(): string | undefined {
    return this.viewOf("Ipv4Hdr")?.name;
  }
  inHelper(): boolean {
    return this.current !== undefined;
  }
  structVar(): string | undefined {
    const vars = this.structVars.flat();
    return vars.length ? this.pick(vars) : undefined;
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
    if (this.chance(0.4)) head.push(...this.structDecl());
    for (let i = 0, k = this.int(3); i < k; i++) {
      const value = BigInt(this.x.literal(this.pick(INTS)).replace(/[()]/g, ""));
      this.consts.push({ name: `K${i}`, value });
      head.push(`const K${i} = ${value};`);
    }
    this.calls = rng(seedOf(name) ^ 0x9e3779b9);
    this.walks = rng(seedOf(name) ^ 0x5bd1e995);
    const own = new ExprGen(rng(seedOf(name)), this); // globals or not: not from r (see the top)
    this.g = new GlobalsGen(this.x, own);
    const globals = this.g.declare();
    if (globals.some((l) => l.includes("config<"))) head.splice(1, 0, `import { config } from "tsebpf";`);
    head.push(...globals);
    const funcs: string[] = [];
    for (let i = 0, k = this.int(3); i < k; i++) funcs.push(...this.helper(i), "");
    funcs.push(...this.main(name));
    return { source: [...head, "", ...funcs, ""].join("\n"), name, maps: this.maps, lpm };
  }

  private mapSpec(i: number): MapSpec {
    const cls = this.pick([
      "HashMap",
      "HashMap",
      "LruHashMap",
      "PerCpuHashMap",
      "ArrayMap",
      "ArrayMap",
      "PerCpuArray",
      "LpmTrie",
    ]);
    const array = cls === "ArrayMap" || cls === "PerCpuArray";
    const key: IntName = array || cls === "LpmTrie" ? "u32" : this.pick(INTS);
    return { name: `M${i}`, cls, key, value: this.pick(INTS), max: array ? this.pick([4, 8, 16]) : 256 };
  }

  private lpmEntries(): GenProgram["lpm"] {
    const nets: [number, number][] = [
      [0xc6336400, 24],
      [0xc6336401, 32],
      [0xcb007100, 24],
      [0xcb000000, 8],
      [0, 0],
    ];
    return nets
      .filter(() => this.chance(0.6))
      .map(([addr, prefix]) => ({ addr, prefix, value: BigInt(this.int(1000)) }));
  }

  // ------------------------------------------------------------------ functions

  private helper(i: number): string[] {
    const params = Array.from({ length: 1 + this.int(3) }, () => this.pick(INTS));
    const h: Helper = { name: `h${i}`, params, ret: this.pick(INTS), struct: !!this.struct && this.chance(0.4) };
    h.quiet = this.chance(0.5); // a helper that logs is always inlined
    h.view = this.calls() < 0.5; // the caller's checked IPv4 header
    h.global = h.quiet && this.calls() < 0.3; // verified on its own
    const view = h.view ? ["hv: Ipv4Hdr"] : [];
    const args = [...view, ...params.map((t, j) => `p${j}: ${t}`), ...(h.struct ? ["s: S0"] : [])].join(", ");
    this.begin(`${h.global ? "export " : ""}function ${h.name}(${args}): ${h.ret} {`);
    this.scopes = [[...params.map((t, j) => ({ name: `p${j}`, type: t, mutable: false })), ...this.globalVars()]];
    this.structVars = [h.struct ? ["s"] : []];
    this.views = [h.view ? [{ name: "hv", header: "Ipv4Hdr", gen: this.viewGen }] : []];
    this.current = h;
    this.budget = 3 + this.int(6);
    this.block();
    this.line(`return ${this.value(h.ret)};`);
    this.current = undefined;
    this.helpers.push(h);
    return this.end();
  }

  private main(name: string): string[] {
    this.begin(`export function ${name}(ctx: XdpContext): XdpAction {`);
    this.scopes = [this.globalVars()];
    this.views = [[]];
    this.structVars = [[]];
    this.budget = 6 + this.int(14);
    if (this.chance(0.7)) this.prologue();
    this.block();
    const report = this.g?.report();
    if (report) this.line(report);
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
    this.line(
      `if (${eth.name}.etherType !== ${v6 ? "ETH_P_IPV6" : "ETH_P_IP"} && ${l3} === EthHdr.size) return ${this.action()};`,
    );
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
    const top = this.views[this.views.length - 1]!;
    // sometimes the null check goes on with a condition on the view (narrowed by && / ||)
    const also = (op: string): string => {
      if (this.chance(0.6)) return "";
      top.push(view);
      const c = this.cond(1);
      top.pop();
      return ` ${op} ${c}`;
    };
    if (how === "return") {
      this.line(`if (${name} === null${also("||")}) return ${this.action()};`);
      top.push(view);
    } else if (how === "block") {
      this.line(`if (${name} !== null${also("&&")}) {`);
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
    this.structVars.push([]);
    fn();
    this.structVars.pop();
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
    if (this.opts.control && this.chance(0.2)) return this.controlStmt();
    if (this.struct && (!this.current || this.current.struct) && this.chance(0.3)) return this.structStmt();
    if (this.g?.arrays.length && this.chance(0.15)) return this.globalStmt();
    const w = this.int(100);
    if (w < 22) this.decl();
    else if (w < 34) this.assign();
    else if (w < 46) this.ifStmt();
    else if (w < 52) this.earlyReturn();
    else if (w < 58 && this.loopDepth < 2) this.forStmt();
    else if (w < 70) this.current?.quiet ? this.decl() : this.log();
    else if (w < 80) this.mapStmt();
    else if (w < 88 && !this.current) this.viewStmt();
    else if (w < 93 && !this.current) this.fieldWrite();
    else if (w < 96 && !this.current && this.loopDepth === 0 && this.adjusts < 2) this.adjust();
    else if (w >= 96 && w < 99 && !this.current) this.packetBytes();
    else this.decl();
  }

  // ------------------------------------------------------------------ structs and arrays

  private structDecl(): string[] {
    const st: StructSpec = {
      fields: Array.from({ length: 1 + this.int(3) }, () => this.pick(INTS)),
      elem: this.pick(INTS),
      len: 2 + this.int(3),
    };
    this.struct = st;
    const fields = st.fields.map((t, i) => `f${i}: ${t};`).join(" ");
    return [`interface S0 { ${fields} arr: FixedArray<${st.elem}, ${st.len}> }`];
  }

  /** A struct local, a field or element write, an element read at a variable index, or for…of. */
  private structStmt(): void {
    const st = this.struct!;
    const vars = this.structVars.flat();
    const k = vars.length ? this.int(5) : 0;
    if (k === 0) {
      const name = this.fresh("s");
      // sometimes a near copy of another struct (each slot copied or new), so `===` is sometimes true
      const like = vars.length > 0 && this.chance(0.5) ? this.pick(vars) : undefined;
      const slot = (t: IntName, copy: string) => (like && this.chance(0.8) ? `${like}.${copy}` : this.value(t));
      const fields = st.fields.map((t, i) => `f${i}: ${slot(t, `f${i}`)}`);
      const elems = Array.from({ length: st.len }, (_, i) => slot(st.elem, `arr[${i}]`));
      this.line(`const ${name}: S0 = { ${fields.join(", ")}, arr: [${elems.join(", ")}] };`);
      this.structVars[this.structVars.length - 1]!.push(name);
      return;
    }
    const s = this.pick(vars);
    if (k === 1 || k === 2) {
      const i = this.int(st.fields.length + 1);
      const [target, t] = i < st.fields.length ? [`${s}.f${i}`, st.fields[i]!] : [`${s}.arr[${this.index()}]`, st.elem];
      const op = this.pick(["", "", ...ASSIGN_OPS]);
      const e = this.valueExpr(t);
      this.line(`${target} ${op}= ${(op === "/" || op === "%" ? this.x.divisor(e) : e).code};`);
    } else if (k === 3) {
      const v = this.fresh("v");
      this.line(`const ${v}: ${st.elem} = ${s}.arr[${this.index()}];`);
      this.declare({ name: v, type: st.elem, mutable: false });
    } else if (this.loopDepth < 2) {
      const x = this.fresh("x");
      this.line(`for (const ${x} of ${s}.arr) {`);
      this.loopDepth++;
      this.nested(() => {
        this.declare({ name: x, type: st.elem, mutable: false });
        this.block();
      });
      this.loopDepth--;
      this.line("}");
    }
  }

  /** The global scalars as variables (config ones read-only). */
  private globalVars(): Var[] {
    return (this.g?.scalars ?? []).map((g) => ({ name: g.name, type: g.type, mutable: g.mutable }));
  }

  /** A global array's element written, or for…of over a global array. */
  private globalStmt(): void {
    const a = this.g!.iterable();
    const write = this.g!.elementWrite(ASSIGN_OPS);
    if (write && (this.chance(0.6) || this.loopDepth >= 2)) return this.line(write);
    if (!a || this.loopDepth >= 2) return this.decl();
    const x = this.fresh("x");
    this.line(`for (const ${x} of ${a.name}) {`);
    this.loopDepth++;
    this.nested(() => {
      this.declare({ name: x, type: a.elem, mutable: false });
      this.block();
    });
    this.loopDepth--;
    this.line("}");
  }

  /** An element index: a constant inside the array, or a variable expression (sometimes outside it;
   * a constant one is kept inside: the checker refuses a constant index outside the array). */
  private index(): string {
    if (this.chance(0.4)) return `${this.int(this.struct!.len)}`;
    const e = this.x.expr("u32", 1);
    return e.konst ? `(${e.code}) % ${this.struct!.len}` : `(${e.code}) & 7`;
  }

  private declare(v: Var): void {
    this.scopes[this.scopes.length - 1]!.push(v);
  }

  private decl(): void {
    const name = this.fresh("v");
    const mutable = this.chance(0.5);
    const hs = this.callable().filter((h) => !h.struct || this.structVars.flat().length);
    if (hs.length && this.chance(0.25)) {
      // a helper called from several places is compiled as a BPF subprogram
      const h = this.pick(hs);
      this.calling(h);
      const view = h.view ? [this.ipView()!] : [];
      const params = h.params.map((p) => this.x.expr(p, 1).code);
      const args = [...view, ...params, ...(h.struct ? [this.structVar()!] : [])];
      this.line(`${mutable ? "let" : "const"} ${name}: ${h.ret} = ${h.name}(${args.join(", ")});`);
      this.declare({ name, type: h.ret, mutable });
      return;
    }
    if (this.chance(0.15)) {
      this.line(`${mutable ? "let" : "const"} ${name}: bool = ${this.cond(2)};`);
      this.declare({ name, type: "bool", mutable });
      return;
    }
    const t = this.pick(INTS);
    const init = this.valueExpr(t);
    this.line(`${mutable ? "let" : "const"} ${name}: ${t} = ${init.code};`);
    this.declare({ name, type: t, mutable, konst: !mutable && init.konst });
  }

  private assign(): void {
    const cands = this.vars().filter((v) => v.mutable);
    if (!cands.length) return this.decl();
    const v = this.pick(cands);
    if (v.type === "bool") return this.line(`${v.name} = ${this.cond(2)};`);
    const k = this.int(10);
    if (k < 3) this.line(`${v.name} = ${this.value(v.type)};`);
    else if (k < 9) {
      const op = this.pick(ASSIGN_OPS);
      const e = this.valueExpr(v.type);
      this.line(`${v.name} ${op}= ${(op === "/" || op === "%" ? this.x.divisor(e) : e).code};`);
    } else this.line(`${v.name}${this.pick(["++", "--"])};`);
  }

  private ifStmt(): void {
    this.line(`if (${this.cond(3)}) {`);
    this.nested(() => this.block());
    while (this.chance(0.25)) {
      this.line(`} else if (${this.cond(2)}) {`);
      this.nested(() => this.block());
    }
    if (this.chance(0.5)) {
      this.line("} else {");
      this.nested(() => this.block());
    }
    this.line("}");
  }

  private returnStmt(): string {
    return this.current ? `return ${this.value(this.current.ret)};` : `return ${this.action()};`;
  }

  private earlyReturn(): void {
    this.line(`if (${this.cond(2)}) ${this.returnStmt()}`);
  }

  private forStmt(): void {
    const i = this.fresh("i");
    const t = this.pick(["u32", "i32", "u8", "u64", "i64"] as IntName[]);
    const n = 1 + this.int(MAX_LOOP_TRIPS);
    const rest = this.pick([
      `0; ${i} < ${n}; ${i}++`,
      `0; ${i} <= ${n - 1}; ${i} += 2`,
      `${n}; ${i} > 0; ${i}--`,
      `1; ${i} < ${n + 1}; ${i} += 1`,
    ]);
    const counter: Var = { name: i, type: t, mutable: false };
    if (!this.opts.control) {
      this.line(`for (let ${i}: ${t} = ${rest}) {`);
      this.loopDepth++;
      this.nested(() => {
        this.declare(counter);
        this.block();
        if (this.chance(0.3)) this.earlyReturn();
      });
      this.loopDepth--;
      return this.line("}");
    }
    const [init, test, update] = rest.split("; ");
    const runtime = this.chance(0.4) ? ` && ${this.cond(1)}` : "";
    this.loopBody(`for (let ${i}: ${t} = ${init}; ${test}${runtime}; ${update}) {`, counter);
  }

  // ------------------------------------------------------------------ control flow (opts.control)

  private controlStmt(): void {
    const k = this.int(10);
    if (k < 3 && this.jumps.length) return this.jumpStmt();
    if (k < 5 && this.loopDepth < 2) return this.whileStmt();
    if (k < 7 && this.loopDepth < 2) return this.forStmt();
    if (k < 9) return this.switchStmt();
    this.decl();
  }

  /** `if (c) break;` / `if (c) continue;`, maybe to a label of an enclosing loop. */
  private jumpStmt(): void {
    const loops = this.jumps.filter((j) => j.loop);
    const labelled = loops.filter((j) => j.label);
    const cont = loops.length > 0 && this.chance(0.4);
    const label = labelled.length && this.chance(0.6) ? ` ${this.pick(labelled).label}` : "";
    this.line(`if (${this.cond(2)}) ${cont ? "continue" : "break"}${label};`);
  }

  /** A counter loop as while or do…while: the counter is stepped first thing in the body. */
  private whileStmt(): void {
    const c = this.fresh("c");
    const t = this.pick(["u8", "u16", "u32"] as IntName[]);
    const n = 1 + this.int(MAX_LOOP_TRIPS);
    const step = this.pick(["++", " += 1", " += 2"]);
    this.line(`let ${c}: ${t} = ${this.int(2)};`);
    this.declare({ name: c, type: t, mutable: false });
    const test = this.chance(0.4) ? `${c} < ${n} && ${this.cond(1)}` : `${c} < ${n}`;
    const isDo = this.chance(0.4);
    this.loopBody(isDo ? "do {" : `while (${test}) {`, undefined, () => this.line(`${c}${step};`));
    if (isDo) this.out[this.out.length - 1] += ` while (${test});`;
  }

  /** `[label:] head … }` with the body's statements; the loop is a jump target in its body. */
  private loopBody(head: string, counter: Var | undefined, first?: () => void): void {
    const label = this.chance(0.4) ? this.fresh("outer") : undefined;
    this.line(`${label ? `${label}: ` : ""}${head}`);
    this.loopDepth++;
    this.jumps.push({ loop: true, label });
    this.nested(() => {
      if (counter) this.declare(counter);
      first?.();
      this.block();
      if (this.chance(0.4)) this.jumpStmt();
      if (this.chance(0.3)) this.earlyReturn();
    });
    this.jumps.pop();
    this.loopDepth--;
    this.line("}");
  }

  /** switch on an integer with a few small cases, fall-through, break and maybe default. */
  private switchStmt(): void {
    const e = this.x.expr(this.pick(["u8", "u32", "i32"] as IntName[]), 2);
    this.line(`switch (${e.konst ? `${e.code} as ${e.type}` : e.code}) {`);
    const cases = [...new Set(Array.from({ length: 1 + this.int(4) }, () => this.int(6)))];
    const dflt = this.chance(0.5) ? this.int(cases.length + 1) : -1;
    this.jumps.push({ loop: false });
    cases.forEach((v, i) => {
      if (i === dflt) this.clause("default:");
      this.clause(`case ${v}:`);
    });
    if (dflt === cases.length) this.clause("default:");
    this.jumps.pop();
    this.line("}");
  }

  private clause(head: string): void {
    this.line(head);
    this.nested(() => {
      if (this.chance(0.7)) this.block();
      if (this.chance(0.6)) this.line("break;");
    });
  }

  private log(): void {
    if (this.current?.global) return this.decl(); // a global function cannot log
    if (this.current) this.current.logs = true; // also a quiet one, by a fallback (no maps): not for global callers
    const parts: string[] = [];
    for (let k = 1 + this.int(3); k > 0; k--) {
      const e = this.x.expr(this.pick(INTS), 2);
      const f = this.int(10);
      if (f < 2) parts.push(`h=\${hex(${e.code})}`);
      else if (f < 3 && e.type === "u32") parts.push(`a=\${ipv4(${e.code})}`);
      else if (f < 4 && e.type === "u64") parts.push(`m=\${mac(${e.code})}`);
      else if (f < 5) parts.push(`b=\${${this.cond(1)}}`);
      else parts.push(`x=\${${e.code}}`);
    }
    this.line(
      `${this.pick(["info", "info", "debug", "warn", "error", "trace"])}(\`${this.fresh("L")} ${parts.join(" ")}\`);`,
    );
  }

  /**
   * `const g = M.get(k); if (g !== null) { const v: V = g; ... }`: g is read once, right away —
   * a read after a later M.set/M.delete sees the new value (ISSUE7 §1, `M.get(k)` is a pointer;
   * helper front).
   */
  private getStmt(): void {
    if (!this.maps.length) return this.log();
    const map = this.pick(this.maps);
    const g = this.fresh("g"),
      v = this.fresh("v");
    this.line(`const ${g} = ${map.name}.get(${this.x.key(map)});`);
    this.line(`if (${g} !== null) {`);
    this.nested(() => {
      this.line(`const ${v}: ${map.value} = ${g};`);
      this.declare({ name: v, type: map.value, mutable: false });
      this.block();
    });
    this.line("}");
  }

  /**
   * `if (M.has(k)) { M.add(k, v); … M.get(k) … }`: lookups of one key in a row, which the back end
   * makes once (backend/map-cse.ts) unless a set or delete of the map comes between.
   */
  private lookupTwiceStmt(map: MapSpec): void {
    const k = this.fresh("k");
    this.line(`const ${k}: ${map.key} = ${this.x.key(map)};`);
    this.line(`if (${map.name}.has(${k})) {`);
    this.nested(() => {
      const op = this.int(4);
      if (op < 2) this.line(`${map.name}.add(${k}, ${this.value(map.value)});`);
      else if (op < 3 || isArray(map)) this.line(`${map.name}.set(${k}, ${this.value(map.value)});`);
      else this.line(`${map.name}.delete(${k});`);
      if (!this.current?.global) {
        this.line(`info(\`${this.fresh("L")} x=\${${map.name}.get(${k}) ?? 7}\`);`);
        if (this.current) this.current.logs = true;
      } else this.readBack(map, k); // a global function cannot log
    });
    this.line("}");
  }

  /** `const r: V = M.get(k) ?? 7;`, a variable later statements may use. */
  private readBack(map: MapSpec, k: string): void {
    const name = this.fresh("r");
    this.line(`const ${name}: ${map.value} = ${map.name}.get(${k}) ?? 7;`);
    this.declare({ name, type: map.value, mutable: false });
  }

  private mapStmt(): void {
    if (this.chance(0.2)) return this.getStmt();
    const m = this.maps.filter((x) => x.cls !== "LpmTrie");
    if (!m.length) return this.log();
    const map = this.pick(m);
    const array = isArray(map);
    const k = this.int(10);
    if (this.chance(0.15)) return this.lookupTwiceStmt(map);
    const key = this.x.key(map);
    if (k < 5) this.line(`${map.name}.set(${key}, ${this.value(map.value)});`);
    else if (k < 8) this.line(`${map.name}.add(${key}, ${this.value(map.value)});`);
    else if (!array) this.line(`${map.name}.delete(${key});`);
    else this.line(`${map.name}.set(${key}, ${this.value(map.value)});`);
  }

  private viewStmt(): void {
    const h = this.pick(Object.keys(HEADERS));
    const ip = this.viewOf("Ipv4Hdr");
    const offs = [
      "EthHdr.size",
      "EthHdr.size + Ipv4Hdr.size",
      "EthHdr.size + VlanHdr.size",
      "EthHdr.size + Ipv6Hdr.size",
      "0",
      `${this.int(60)}`,
    ];
    if (ip) offs.push(`EthHdr.size + ${ip.name}.ihl * 4`);
    const off = this.chance(0.25) ? `(${this.x.expr("u32", 1).code}) & 63` : this.pick(offs);
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

  /** `ctx.storeU32(off, v)` (as a statement, a condition or a bool), or a load null-checked into a const. */
  private packetBytes(): void {
    const access = Object.entries(PACKET_ACCESS);
    const [name, a] = this.pick(access);
    const t = `u${a.size * 8}` as IntName;
    let off = this.x.packetOffset(2);
    // half the loads walk (decided, and written, from a source of their own: the other programs are
    // as before): an offset in a variable read at `o` and `o + k`, moved and read again
    // (data + (o + k) is (data + o) + k while o is unchanged: backend/addresses.ts)
    const walk = !a.store && this.walks() < 0.5 ? this.fresh("o") : undefined;
    if (walk) {
      const ints = this.vars().filter((x) => x.type !== "bool");
      const from =
        ints.length && this.walks() < 0.7 ? ints[Math.floor(this.walks() * ints.length)]!.name : "ctx.length";
      this.line(`let ${walk}: u32 = (${from} as u32) & 63;`);
      off = walk;
    }
    if (!a.store) {
      const p = this.fresh("p"),
        v = this.fresh("v");
      this.line(`const ${p} = ctx.${name}(${off});`);
      this.line(`if (${p} !== null) {`);
      this.nested(() => {
        this.line(`const ${v}: ${t} = ${p};`);
        this.declare({ name: v, type: t, mutable: false });
        if (walk) this.walkOn(walk, v);
        this.block();
      });
      return this.line("}");
    }
    const call = `ctx.${name}(${off}, ${this.value(t)})`;
    const k = this.int(3);
    if (k === 0) return this.line(`${call};`);
    if (k === 1) {
      const b = this.fresh("w");
      this.line(`const ${b}: bool = ${call};`);
      return this.declare({ name: b, type: "bool", mutable: false });
    }
    this.line(`if (${call}) {`);
    this.nested(() => this.block());
    this.line("}");
  }

  /** Loads at `o + k` after the one at `o`; o moved by a value read, and a load at `o + k` again
   * (its values logged; not variables of the program: its other statements are as without them). */
  private walkOn(o: string, v: string): void {
    const loads = Object.entries(PACKET_ACCESS).filter(([, a]) => !a.store);
    const ws: string[] = [];
    for (let i = this.walks() < 0.5 ? 0 : 1; i < 2; i++) {
      const [name, a] = loads[Math.floor(this.walks() * loads.length)]!;
      const w = this.fresh("w");
      const k = 1 + Math.floor(this.walks() * 6);
      this.line(`const ${w}: u${a.size * 8} = ctx.${name}(${o} + ${k}) ?? ${Math.floor(this.walks() * 256)};`);
      ws.push(w);
      if (i === 0) this.line(`${o} += (${this.walks() < 0.5 ? `${v} & 7` : `${w} & 15`}) as u32;`);
    }
    if (!this.current?.quiet)
      this.line(`info(\`${this.fresh("W")} ${ws.map((w) => `\${${w}}`).join(" ")} \${${o}}\`);`);
  }

  private adjust(): void {
    const r = this.fresh("r");
    const call = this.chance(0.6)
      ? `ctx.adjustHead(${this.pick([-8, -4, -2, 2, 4, 14, 20, 40, 100, -216, -217])})`
      : `ctx.adjustTail(${this.pick([-30, -8, -2, 2, 6, 10])})`;
    this.line(`const ${r}: i32 = ${call};`);
    this.declare({ name: r, type: "i32", mutable: false });
    this.adjusts++;
    this.viewGen++;
  }

  private action(): string {
    return this.chance(0.7)
      ? `XdpAction.${this.pick(ACTIONS)}`
      : `(${this.cond(2)} ? XdpAction.${this.pick(ACTIONS)} : XdpAction.${this.pick(ACTIONS)})`;
  }
}

/** A seed from a program's name (FNV-1a). */
function seedOf(name: string): number {
  let h = 0x811c9dc5;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

export function generateProgram(r: () => number, name: string, opts: GenOptions = {}): GenProgram {
  return new ProgramGen(r, opts).program(name);
}

// Reference interpreter of the DSL, independent of the compiler's checker, folding, lowering and
// optimiser: takes the parsed AST (compiler/dsl/syntax/parser.ts) of a program, a packet and map state,
// produces the verdict, the output packet, the log messages and the updated maps. Integers follow
// ISSUE7 §1 with BigInt: operands narrower than 64 bits are widened (zero-/sign-extended by their
// static type), the operation is done in u64 if either operand is u64 (a shift: its left operand)
// and in i64 otherwise, results wrap mod 2^64, and values are narrowed only when stored (variable,
// field, map key/value, parameter, return, log argument) or by `as`. Literals take the type of the
// other operand. x / 0 is 0, x % 0 is x and shift counts use their low 6 bits, as in BPF.
// Packets follow BPF_PROG_TEST_RUN: the frame sits in a zeroed buffer after 256 bytes of
// headroom (the first 40 hold struct xdp_frame); adjustHead/adjustTail fail with -EINVAL (-22)
// when fewer than 14 bytes would remain or the head would enter xdp_frame; adjustHead moves only
// the start (bytes in front reappear as they were), a tail that grows reads as zero. Packet
// loads/stores at any offset (ctx.loadU16 …) read and write the bytes in the order they name.
// Struct and FixedArray values are records of slots, named (not copied) by variables as in
// TypeScript; an element index outside the array reads 0 and a write there changes nothing; `===`
// on two structs compares them slot by slot.
// Global variables (top-level `let`, const FixedArrays and structs, config<T>(v)) are slots that
// live as long as the interpreter, so they keep their values from one packet to the next.
import type * as A from "../../compiler/dsl/ast.js";
import { CONSTANTS, HEADERS, PACKET_ACCESS, type PacketAccess, XDP_ACTIONS } from "../../compiler/dsl/catalog.js";
import type { IntName } from "../../compiler/dsl/ast.js";
import type { MapSpec } from "./generate.js";

const BITS: Record<IntName, number> = { u8: 8, u16: 16, u32: 32, u64: 64, i8: 8, i16: 16, i32: 32, i64: 64 };
const EINVAL = -22n;
const ETH_HLEN = 14;
const HEADROOM = 256;
const XDP_FRAME = 40;
const TAILROOM = 256;

/** null: an untyped literal, which takes the other operand's type. */
type Ty = IntName | null;
interface View {
  header: string;
  off: number;
}
/** A struct (fields by name) or a FixedArray (elements in order): slots of integers or bools. */
interface Rec {
  slots: Map<string, Slot>;
}
type Val = bigint | boolean | View | Rec | null;
interface TV {
  v: Val;
  t: Ty | "bool" | "view" | "action" | "rec";
}
interface Slot {
  v: Val;
  t: TV["t"];
}

export interface MapState {
  spec: MapSpec;
  entries: Map<bigint, bigint>;
  lpm?: { addr: number; prefix: number; value: bigint }[];
}
export interface RunResult {
  verdict: number;
  packet: Uint8Array;
  logs: string[];
}

class Return {
  constructor(readonly value: TV | undefined) {}
}
/** `break` / `continue` on their way to the statement they leave. */
class Jump {
  constructor(
    readonly jump: "break" | "continue",
    readonly label: string | undefined,
  ) {}
  /** Whether this jump (of kind `kind`) is for the statement with `labels` (a loop, a switch: `unlabelled`). */
  is(kind: "break" | "continue", labels: string[], unlabelled: boolean): boolean {
    return this.jump === kind && (this.label ? labels.includes(this.label) : unlabelled);
  }
}

export const narrow = (v: bigint, t: IntName): bigint =>
  t[0] === "i" ? BigInt.asIntN(BITS[t], v) : BigInt.asUintN(BITS[t], v);
const isPerCpu = (m: MapSpec): boolean => m.cls.startsWith("PerCpu");
const isArray = (m: MapSpec): boolean => m.cls === "ArrayMap" || m.cls === "PerCpuArray";

/** Fresh map state: arrays hold zeros at every index; LPM tries hold the preloaded prefixes. */
export function initialMaps(specs: MapSpec[], lpm: MapState["lpm"]): Map<string, MapState> {
  const maps = new Map<string, MapState>();
  for (const spec of specs)
    maps.set(spec.name, {
      spec,
      entries: zeros(spec),
      lpm: spec.cls === "LpmTrie" ? lpm?.map((e) => ({ ...e, value: narrow(e.value, spec.value) })) : undefined,
    });
  return maps;
}

function zeros(spec: MapSpec): Map<bigint, bigint> {
  const m = new Map<bigint, bigint>();
  if (isArray(spec)) for (let i = 0n; i < BigInt(spec.max); i++) m.set(i, 0n);
  return m;
}

/** Run `entry` of a parsed program without maps on one packet. */
export function interpretOnce(ast: A.Program, entry: string, packet: Uint8Array): RunResult {
  return new Interp(ast, new Map()).run(entry, packet);
}

/** Per-CPU maps are cleared before each packet (test runs may land on any CPU). */
export function clearPerCpu(maps: Map<string, MapState>): void {
  for (const m of maps.values()) if (isPerCpu(m.spec)) m.entries = zeros(m.spec);
}

export class Interp {
  private funcs = new Map<string, A.FunctionDecl>();
  private structs = new Map<string, A.StructDecl>();
  /** Top-level constants: untyped (they take the other operand's type) unless annotated. */
  private consts = new Map<string, TV>();
  /** Global variables: kept across runs, as the kernel keeps its global data maps. */
  private globals = new Map<string, Slot>();
  private scopes: Map<string, Slot>[] = [];
  private buf = new Uint8Array();
  private start = 0;
  private end = 0;
  private logs: string[] = [];

  constructor(
    ast: A.Program,
    private readonly maps: Map<string, MapState>,
  ) {
    for (const it of ast.items) if (it.kind === "FunctionDecl") this.funcs.set(it.name, it);
    for (const it of ast.items) if (it.kind === "StructDecl") this.structs.set(it.name, it);
    for (const it of ast.items) if (it.kind === "ConstDecl") this.topLevel(it);
  }

  run(entry: string, packet: Uint8Array): RunResult {
    this.buf = new Uint8Array(HEADROOM + packet.length + TAILROOM);
    this.buf.set(packet, HEADROOM);
    [this.start, this.end] = [HEADROOM, HEADROOM + packet.length];
    this.logs = [];
    const f = this.funcs.get(entry)!;
    const r = this.call(f, [{ v: null, t: "view" }]);
    return { verdict: Number(r.v as bigint), packet: this.buf.slice(this.start, this.end), logs: this.logs };
  }

  // ------------------------------------------------------------------ statements

  private call(f: A.FunctionDecl, args: TV[]): TV {
    const saved = this.scopes;
    this.scopes = [new Map()];
    f.params.forEach((p, i) => this.declare(p.name, p.typeAnn!.name, args[i]!));
    try {
      this.block(f.body.body);
      throw new Error(`${f.name} ended without return`);
    } catch (e) {
      if (!(e instanceof Return)) throw e;
      const rt = f.returnTypeAnn!.name;
      return rt === "XdpAction"
        ? { v: e.value!.v, t: "action" }
        : { v: narrow(e.value!.v as bigint, rt as IntName), t: rt as IntName };
    } finally {
      this.scopes = saved;
    }
  }

  private declare(name: string, typeName: string | undefined, tv: TV): void {
    const t =
      typeName === undefined
        ? tv.t
        : typeName === "bool"
          ? "bool"
          : typeName === "XdpContext" || (typeName !== undefined && HEADERS[typeName])
            ? "view"
            : this.structs.has(typeName)
              ? tv.t // a struct parameter names the caller's struct
              : (typeName as IntName);
    const v =
      typeof tv.v === "bigint" && t !== "bool" && t !== "view" && t !== "action" && t !== "rec" && t !== null
        ? narrow(tv.v, t)
        : tv.v;
    this.scopes[this.scopes.length - 1]!.set(name, { v, t: t ?? "i64" });
  }

  private lookup(name: string): Slot | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const s = this.scopes[i]!.get(name);
      if (s) return s;
    }
    return this.globals.get(name);
  }

  /** A top-level const: a compile-time constant, or a global variable (`let`, an array or struct, config). */
  private topLevel(d: A.ConstDecl): void {
    const ann = d.typeAnn;
    const config = d.init.kind === "CallExpr" && d.init.fn.kind === "Identifier" && d.init.fn.name === "config";
    if (config) {
      const call = d.init as A.CallExpr;
      const t = call.typeArgs[0]!.name as IntName;
      this.globals.set(d.name, { v: narrow(this.eval(call.args[0]!).v as bigint, t), t });
    } else if (ann && (this.structs.has(ann.name) || ann.name === "FixedArray")) {
      this.globals.set(d.name, this.build(ann, d.init));
    } else if (d.mutable) {
      this.globals.set(d.name, {
        v: narrow(this.eval(d.init).v as bigint, ann!.name as IntName),
        t: ann!.name as IntName,
      });
    } else this.consts.set(d.name, this.constant(d));
  }

  private block(body: A.Stmt[]): void {
    this.scopes.push(new Map());
    try {
      for (const s of body) this.stmt(s);
    } finally {
      this.scopes.pop();
    }
  }

  private stmt(s: A.Stmt): void {
    switch (s.kind) {
      case "VarDecl":
        if (s.typeAnn && (this.structs.has(s.typeAnn.name) || s.typeAnn.name === "FixedArray")) {
          this.scopes[this.scopes.length - 1]!.set(s.name, this.build(s.typeAnn, s.init!));
          return;
        }
        return this.declare(s.name, s.typeAnn?.name, this.eval(s.init!));
      case "ForOf":
        return this.forOf(s, []);
      case "Assign":
        return this.assign(s);
      case "If":
        if (truthy(this.eval(s.test).v)) this.block([s.then]);
        else if (s.else) this.block([s.else]);
        return;
      case "Return":
        throw new Return(s.value ? this.eval(s.value) : undefined);
      case "Block":
        return this.block(s.body);
      case "ExprStmt":
        this.eval(s.expr);
        return;
      case "For":
        return this.forStmt(s, []);
      case "While":
        return this.whileStmt(s, []);
      case "Switch":
        return this.switchStmt(s, []);
      case "Labelled":
        return this.labelled(s, []);
      case "Jump":
        throw new Jump(s.jump, s.label);
      default:
        throw new Error(`unexpected statement ${s.kind}`);
    }
  }

  private forStmt(s: A.For, labels: string[]): void {
    this.scopes.push(new Map());
    try {
      this.stmt(s.init!);
      const body = (): void => this.block([s.body]);
      this.loop(
        labels,
        false,
        () => truthy(this.eval(s.test!).v),
        body,
        () => this.assign(s.update!),
      );
    } finally {
      this.scopes.pop();
    }
  }

  /** Rounds while `test` holds (a do…while: tested after each round); break/continue for this loop end here. */
  private loop(labels: string[], isDo: boolean, test: () => boolean, body: () => void, update?: () => void): void {
    for (let first = true; isDo && first ? true : test(); first = false) {
      try {
        body();
      } catch (e) {
        if (!(e instanceof Jump)) throw e;
        if (e.is("break", labels, true)) return;
        if (!e.is("continue", labels, true)) throw e;
      }
      update?.();
    }
  }

  private whileStmt(s: A.While, labels: string[]): void {
    this.loop(
      labels,
      s.isDo,
      () => truthy(this.eval(s.test).v),
      () => this.block([s.body]),
    );
  }

  private labelled(s: A.Labelled, outer: string[]): void {
    const labels = [...outer, s.label];
    const b = s.body;
    if (b.kind === "Labelled") return this.labelled(b, labels);
    if (b.kind === "For") return this.forStmt(b, labels);
    if (b.kind === "While") return this.whileStmt(b, labels);
    if (b.kind === "Switch") return this.switchStmt(b, labels);
    if (b.kind === "ForOf") return this.forOf(b, labels);
    try {
      this.block([b]);
    } catch (e) {
      if (!(e instanceof Jump && e.is("break", labels, false))) throw e;
    }
  }

  /** The clauses from the first matching case (else default) on, each in its own scope, until a break. */
  private switchStmt(s: A.Switch, labels: string[]): void {
    const v = this.eval(s.test).v as bigint;
    let at = s.cases.findIndex((c) => c.test && (this.eval(c.test).v as bigint) === v);
    if (at < 0) at = s.cases.findIndex((c) => !c.test);
    if (at < 0) return;
    try {
      for (const c of s.cases.slice(at)) this.block(c.body);
    } catch (e) {
      if (!(e instanceof Jump && e.is("break", labels, true))) throw e;
    }
  }

  /** A struct or array value of written type `ref` from its literal, each slot narrowed to its type. */
  private build(ref: A.TypeRef, e: A.Expr): Slot {
    const slots = new Map<string, Slot>();
    if (ref.name === "FixedArray") {
      (e as A.ArrayLiteral).elements.forEach((x, i) => slots.set(String(i), this.build(ref.args[0]!, x)));
      return { v: { slots }, t: "rec" };
    }
    const decl = this.structs.get(ref.name);
    if (!decl) {
      const tv = this.eval(e);
      return ref.name === "bool"
        ? { v: tv.v, t: "bool" }
        : { v: narrow(tv.v as bigint, ref.name as IntName), t: ref.name as IntName };
    }
    const props = new Map((e as A.ObjectLiteral).props.map((p) => [p.name, p.value]));
    for (const f of decl.fields) slots.set(f.name, this.build(f.typeAnn, props.get(f.name)!));
    return { v: { slots }, t: "rec" };
  }

  /** The slot a field or element expression names; undefined for an index outside the array (its type in `t`). */
  private slotOf(e: A.MemberExpr | A.IndexExpr): { slot?: Slot; t: TV["t"] } {
    const rec = this.eval(e.object).v as Rec;
    if (e.kind === "MemberExpr") return { slot: rec.slots.get(e.property)!, t: rec.slots.get(e.property)!.t };
    const i = this.eval(e.index).v as bigint;
    return { slot: rec.slots.get(String(i)), t: rec.slots.get("0")!.t };
  }

  /** What a slot holds; an index outside the array reads 0 (false). */
  private slotValue({ slot, t }: { slot?: Slot; t: TV["t"] }): TV {
    return slot ? { v: slot.v, t: slot.t } : { v: t === "bool" ? false : 0n, t };
  }

  private isSlot(e: A.Expr): boolean {
    if (e.kind === "IndexExpr") return true;
    if (e.kind !== "MemberExpr" || e.object.kind === "CallExpr") return false;
    if (e.object.kind === "Identifier" && (HEADERS[e.object.name] || e.object.name === "ctx")) return false;
    if (e.object.kind === "Identifier" && e.object.name === "XdpAction") return false;
    return e.object.kind === "IndexExpr" || (this.eval(e.object).v as Rec | null)?.slots !== undefined;
  }

  private forOf(s: A.ForOf, labels: string[]): void {
    const slots = [...(this.eval(s.iterable).v as Rec).slots.values()];
    let i = 0;
    const body = (): void => {
      const slot = slots[i++]!;
      this.scopes.push(new Map([[s.decl.name, { v: slot.v, t: slot.t }]]));
      try {
        this.block([s.body]);
      } finally {
        this.scopes.pop();
      }
    };
    this.loop(labels, false, () => i < slots.length, body);
  }

  private assign(s: A.Assign): void {
    // as TypeScript: the element's index first, once (`a[h()] ^= v` calls h once), then the value
    const place = this.isSlot(s.target) ? this.slotOf(s.target as A.MemberExpr | A.IndexExpr) : undefined;
    const old = s.op === "=" ? undefined : place ? this.slotValue(place) : this.eval(s.target);
    let tv = this.eval(s.value);
    if (old) tv = this.binary(s.op.slice(0, -1), old, tv);
    if (place) {
      const { slot } = place;
      if (slot) slot.v = slot.t === "bool" ? tv.v : narrow(tv.v as bigint, slot.t as IntName);
    } else if (s.target.kind === "Identifier") {
      const slot = this.lookup(s.target.name)!;
      slot.v = slot.t === "bool" ? tv.v : narrow(tv.v as bigint, slot.t as IntName);
    } else if (s.target.kind === "MemberExpr") {
      const view = this.eval(s.target.object).v as View;
      this.writeField(view, s.target.property, tv.v as bigint);
    }
  }

  // ------------------------------------------------------------------ expressions

  eval(e: A.Expr): TV {
    switch (e.kind) {
      case "IntLiteral":
        return { v: e.value, t: null };
      case "BoolLiteral":
        return { v: e.value, t: "bool" };
      case "NullLiteral":
        return { v: null, t: "view" };
      case "Identifier":
        return this.identifier(e.name);
      case "MemberExpr":
        return this.member(e);
      case "CallExpr":
        return this.callExpr(e);
      case "UnaryExpr":
        return this.unary(e);
      case "BinaryExpr":
        return this.binary(e.op, this.eval(e.left), this.eval(e.right));
      case "LogicalExpr":
        return this.logical(e);
      case "ConditionalExpr": {
        const a = truthy(this.eval(e.test).v) ? this.eval(e.then) : this.eval(e.else);
        return { v: a.v, t: this.condType(e) };
      }
      case "AsExpr":
        return { v: narrow(this.eval(e.expr).v as bigint, e.typeAnn.name as IntName), t: e.typeAnn.name as IntName };
      case "IndexExpr":
        return this.slotValue(this.slotOf(e));
      default:
        throw new Error(`unexpected expression ${e.kind}`);
    }
  }

  /** The static type of a conditional: the wider branch (both evaluated for their types only when pure). */
  private condType(e: A.ConditionalExpr): TV["t"] {
    const a = this.staticType(e.then),
      b = this.staticType(e.else);
    if (a === "action" || b === "action") return "action";
    return promote(a as Ty, b as Ty);
  }

  /** Static type of an expression without evaluating calls (used for conditional branches). */
  private staticType(e: A.Expr): TV["t"] {
    switch (e.kind) {
      case "IntLiteral":
        return null;
      case "Identifier":
        return this.identType(e.name);
      case "MemberExpr":
        return this.memberType(e);
      case "AsExpr":
        return e.typeAnn.name as IntName;
      case "UnaryExpr":
        return e.op === "!" ? "bool" : this.staticType(e.operand);
      case "BinaryExpr":
        if (/^[<>=!]=?=?$/.test(e.op) && e.op !== ">>" && e.op !== "<<") return "bool";
        return e.op === "<<" || e.op === ">>"
          ? this.staticType(e.left)
          : promote(this.staticType(e.left) as Ty, this.staticType(e.right) as Ty);
      case "ConditionalExpr":
        return this.condType(e);
      case "LogicalExpr":
        return e.op === "??" ? this.nullableType(e.left) : "bool";
      case "CallExpr":
        return this.callType(e);
      case "IndexExpr":
        return ((this.eval(e.object).v as Rec).slots.get("0") as Slot).t;
      default:
        return null;
    }
  }

  /** The value type of a map get or a packet load. */
  private nullableType(e: A.Expr): TV["t"] {
    const m = (e as A.CallExpr).fn as A.MemberExpr;
    const a = PACKET_ACCESS[m.property];
    return a ? (`u${a.size * 8}` as IntName) : this.mapOf(e).spec.value;
  }

  private callType(e: A.CallExpr): TV["t"] {
    if (e.fn.kind === "Identifier") {
      const f = this.funcs.get(e.fn.name);
      return f ? (f.returnTypeAnn!.name as IntName) : null;
    }
    const m = e.fn as A.MemberExpr;
    if (m.property === "has" || PACKET_ACCESS[m.property]?.store) return "bool";
    if (PACKET_ACCESS[m.property]) return `u${PACKET_ACCESS[m.property]!.size * 8}` as IntName;
    if (m.property === "adjustHead" || m.property === "adjustTail") return "i32";
    return null;
  }

  private constant(d: A.ConstDecl): TV {
    const v = this.eval(d.init);
    const t = d.typeAnn?.name as IntName | undefined;
    return t ? { v: narrow(v.v as bigint, t), t } : v;
  }

  private identType(name: string): TV["t"] {
    const s = this.lookup(name) ?? this.consts.get(name);
    if (s) return s.t;
    return CONSTANTS[name]?.type ?? null;
  }

  private identifier(name: string): TV {
    const s = this.lookup(name) ?? this.consts.get(name);
    if (s) return { v: s.v, t: s.t };
    const c = CONSTANTS[name];
    if (c) return { v: c.value, t: c.type };
    throw new Error(`unknown name ${name}`);
  }

  private memberType(e: A.MemberExpr): TV["t"] {
    if (this.isSlot(e)) return this.slotOf(e).t;
    if (e.object.kind === "Identifier" && e.object.name === "ctx") return "u32";
    if (e.object.kind === "Identifier" && e.object.name === "XdpAction") return "action";
    if (e.object.kind === "Identifier" && HEADERS[e.object.name]) return null;
    const view = this.lookup((e.object as A.Identifier).name);
    const hdr = (view?.v as View | null)?.header ?? "";
    return HEADERS[hdr]?.fields[e.property]?.type ?? null;
  }

  private member(e: A.MemberExpr): TV {
    const obj = e.object.kind === "Identifier" ? e.object.name : "";
    if (obj === "ctx" && e.property === "length") return { v: BigInt(this.end - this.start), t: "u32" };
    if (obj === "XdpAction") return { v: BigInt(XDP_ACTIONS[e.property]!), t: "action" };
    if (HEADERS[obj] && e.property === "size") return { v: BigInt(HEADERS[obj]!.size), t: null };
    if (this.isSlot(e)) {
      const { slot } = this.slotOf(e);
      return { v: slot!.v, t: slot!.t };
    }
    const view = this.eval(e.object).v as View;
    const f = HEADERS[view.header]!.fields[e.property]!;
    return { v: this.readField(view, e.property), t: f.type };
  }

  private readField(view: View, name: string): bigint {
    const f = HEADERS[view.header]!.fields[name]!;
    let v = 0n;
    for (let i = 0; i < f.size; i++) v = (v << 8n) | BigInt(this.buf[this.start + view.off + f.offset + i]!);
    if (f.bitWidth !== undefined) v = (v >> BigInt(f.bitOffset!)) & ((1n << BigInt(f.bitWidth)) - 1n);
    return narrow(v, f.type);
  }

  private writeField(view: View, name: string, value: bigint): void {
    const f = HEADERS[view.header]!.fields[name]!;
    let v = BigInt.asUintN(f.size * 8, narrow(value, f.type));
    for (let i = f.size - 1; i >= 0; i--) {
      this.buf[this.start + view.off + f.offset + i] = Number(v & 0xffn);
      v >>= 8n;
    }
  }

  private unary(e: A.UnaryExpr): TV {
    const a = this.eval(e.operand);
    if (e.op === "!") return { v: !truthy(a.v), t: "bool" };
    const t = a.t as Ty;
    const conv = t === "u64" ? (x: bigint) => BigInt.asUintN(64, x) : (x: bigint) => BigInt.asIntN(64, x);
    const x = a.v as bigint;
    if (e.op === "-") return { v: conv(-x), t };
    if (e.op === "~") return { v: conv(~x), t };
    return { v: x, t };
  }

  binary(op: string, a: TV, b: TV): TV {
    if (a.t === "rec" && b.t === "rec") {
      const eq = sameRec(a.v as Rec, b.v as Rec);
      return { v: op.startsWith("!") ? !eq : eq, t: "bool" };
    }
    if (a.v === null || b.v === null || typeof a.v === "object" || typeof b.v === "object")
      return nullCompare(op, a.v, b.v);
    if (typeof a.v === "boolean" || typeof b.v === "boolean")
      return { v: op.startsWith("!") ? a.v !== b.v : a.v === b.v, t: "bool" };
    const ta = a.t as Ty,
      tb = b.t as Ty;
    const shift = op === "<<" || op === ">>" || op === ">>>";
    const u64 = ta === "u64" || (!shift && tb === "u64");
    const conv = (x: bigint): bigint => (u64 ? BigInt.asUintN(64, x) : BigInt.asIntN(64, x));
    const x = conv(a.v),
      y = conv(b.v);
    const t: Ty = shift ? (ta ?? tb) : promote(ta, tb);
    switch (op) {
      case "+":
        return { v: conv(x + y), t };
      case "-":
        return { v: conv(x - y), t };
      case "*":
        return { v: conv(x * y), t };
      case "/":
        return { v: y === 0n ? 0n : conv(x / y), t };
      case "%":
        return { v: y === 0n ? x : conv(x % y), t };
      case "&":
        return { v: conv(x & y), t };
      case "|":
        return { v: conv(x | y), t };
      case "^":
        return { v: conv(x ^ y), t };
      case "<<":
        return { v: conv(x << (y & 63n)), t };
      case ">>":
        return { v: conv(x >> (y & 63n)), t };
      case ">>>":
        return { v: conv(BigInt.asUintN(64, x) >> (y & 63n)), t };
      case "==":
      case "===":
        return { v: x === y, t: "bool" };
      case "!=":
      case "!==":
        return { v: x !== y, t: "bool" };
      case "<":
        return { v: x < y, t: "bool" };
      case "<=":
        return { v: x <= y, t: "bool" };
      case ">":
        return { v: x > y, t: "bool" };
      case ">=":
        return { v: x >= y, t: "bool" };
    }
    throw new Error(`unexpected operator ${op}`);
  }

  private logical(e: A.LogicalExpr): TV {
    if (e.op === "??") {
      const a = this.eval(e.left);
      return a.v !== null ? a : { v: this.eval(e.right).v, t: a.t }; // not a store: not narrowed
    }
    const a = truthy(this.eval(e.left).v);
    if (e.op === "&&") return { v: a && truthy(this.eval(e.right).v), t: "bool" };
    return { v: a || truthy(this.eval(e.right).v), t: "bool" };
  }

  // ------------------------------------------------------------------ calls

  private callExpr(e: A.CallExpr): TV {
    if (e.fn.kind === "Identifier") {
      const name = e.fn.name;
      const f = this.funcs.get(name);
      if (f)
        return this.call(
          f,
          e.args.map((a) => this.eval(a)),
        );
      if (["info", "debug", "warn", "error", "trace"].includes(name)) return this.log(e.args[0]!);
      throw new Error(`unknown function ${name}`);
    }
    const m = e.fn as A.MemberExpr;
    const obj = (m.object as A.Identifier).name;
    if (obj === "ctx") return this.ctxMethod(m.property, e.args);
    return this.mapMethod(
      this.maps.get(obj)!,
      m.property,
      e.args.map((a) => this.eval(a)),
    );
  }

  private mapOf(e: A.Expr): MapState {
    const c = e as A.CallExpr;
    return this.maps.get(((c.fn as A.MemberExpr).object as A.Identifier).name)!;
  }

  private ctxMethod(name: string, args: A.Expr[]): TV {
    if (name === "header") {
      const header = (args[0] as A.Identifier).name;
      const off = narrow(this.eval(args[1]!).v as bigint, "u32");
      const ok = off + BigInt(HEADERS[header]!.size) <= BigInt(this.end - this.start);
      return { v: ok ? { header, off: Number(off) } : null, t: "view" };
    }
    const a = PACKET_ACCESS[name];
    if (a) return this.packetBytes(a, args);
    const n = Number(narrow(this.eval(args[0]!).v as bigint, "i32"));
    return { v: name === "adjustHead" ? this.adjustHead(n) : this.adjustTail(n), t: "i32" };
  }

  /** ctx.loadUn/storeUn(le): n bytes at a u32 offset, network order or little-endian; null/false past the end. */
  private packetBytes(a: PacketAccess, args: A.Expr[]): TV {
    const off = narrow(this.eval(args[0]!).v as bigint, "u32");
    const t = `u${a.size * 8}` as IntName;
    const value = a.store ? narrow(this.eval(args[1]!).v as bigint, t) : 0n;
    if (off + BigInt(a.size) > BigInt(this.end - this.start)) return a.store ? { v: false, t: "bool" } : { v: null, t };
    const at = (i: number): number => this.start + Number(off) + (a.le ? i : a.size - 1 - i); // byte i from the LSB
    if (!a.store) {
      let v = 0n;
      for (let i = a.size - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.buf[at(i)]!);
      return { v, t };
    }
    for (let i = 0; i < a.size; i++) this.buf[at(i)] = Number((value >> BigInt(8 * i)) & 0xffn);
    return { v: true, t: "bool" };
  }

  private adjustHead(n: number): bigint {
    const start = this.start + n;
    if (start < XDP_FRAME || start > this.end - ETH_HLEN) return EINVAL;
    this.start = start;
    return 0n;
  }

  private adjustTail(n: number): bigint {
    const end = this.end + n;
    if (end < this.start + ETH_HLEN || end > this.buf.length) return EINVAL;
    if (n > 0) this.buf.fill(0, this.end, end);
    this.end = end;
    return 0n;
  }

  private mapMethod(m: MapState, method: string, args: TV[]): TV {
    const { key: kt, value: vt } = m.spec;
    const k = narrow(args[0]!.v as bigint, kt);
    const present = this.lookupKey(m, k);
    switch (method) {
      case "get":
        return { v: present ?? null, t: vt };
      case "has":
        return { v: present !== undefined, t: "bool" };
      case "delete":
        m.entries.delete(k);
        return { v: null, t: "view" };
      case "set":
        this.store(m, k, narrow(args[1]!.v as bigint, vt));
        return { v: null, t: "view" };
      case "add":
        this.store(m, k, narrow((present ?? 0n) + narrow(args[1]!.v as bigint, vt), vt));
        return { v: null, t: "view" };
    }
    throw new Error(`unexpected map method ${method}`);
  }

  private lookupKey(m: MapState, k: bigint): bigint | undefined {
    if (!m.lpm) return m.entries.get(k);
    let best: { prefix: number; value: bigint } | undefined;
    for (const e of m.lpm) {
      const shift = BigInt(32 - e.prefix);
      if (k >> shift === BigInt(e.addr) >> shift && (!best || e.prefix > best.prefix)) best = e;
    }
    return best?.value;
  }

  /** Insert or replace: arrays only below max entries, hashes only while not full. */
  private store(m: MapState, k: bigint, v: bigint): void {
    if (isArray(m.spec) ? k < BigInt(m.spec.max) : m.entries.has(k) || m.entries.size < m.spec.max) m.entries.set(k, v);
  }

  private log(msg: A.Expr): TV {
    if (msg.kind === "StringLiteral") this.logs.push(msg.value);
    else if (msg.kind === "TemplateLiteral") {
      let s = msg.quasis[0]!;
      msg.exprs.forEach((x, i) => (s += this.logArg(x) + msg.quasis[i + 1]!));
      this.logs.push(s);
    }
    return { v: null, t: "view" };
  }

  private logArg(e: A.Expr): string {
    if (e.kind === "CallExpr" && e.fn.kind === "Identifier" && ["hex", "ipv4", "mac"].includes(e.fn.name)) {
      const a = this.eval(e.args[0]!);
      const v = BigInt.asUintN(64, a.t === null ? (a.v as bigint) : narrow(a.v as bigint, a.t as IntName));
      if (e.fn.name === "hex") return v.toString(16);
      if (e.fn.name === "ipv4") return [24n, 16n, 8n, 0n].map((s) => (v >> s) & 0xffn).join(".");
      return [40n, 32n, 24n, 16n, 8n, 0n].map((s) => ((v >> s) & 0xffn).toString(16).padStart(2, "0")).join(":");
    }
    const a = this.eval(e);
    if (typeof a.v === "boolean") return String(a.v);
    return (a.t === null ? (a.v as bigint) : narrow(a.v as bigint, a.t as IntName)).toString();
  }
}

function truthy(v: Val): boolean {
  if (typeof v === "bigint") return v !== 0n;
  if (typeof v === "boolean") return v;
  return v !== null;
}

/** Struct equality: every slot equal, nested records slot by slot (what comparing the bytes gives). */
function sameRec(a: Rec, b: Rec): boolean {
  for (const [k, s] of a.slots) {
    const o = b.slots.get(k)!;
    if (s.t === "rec" ? !sameRec(s.v as Rec, o.v as Rec) : s.v !== o.v) return false;
  }
  return true;
}

function nullCompare(op: string, a: Val, b: Val): TV {
  const eq = a === b || (a !== null && b !== null);
  return { v: op.startsWith("!") ? !eq : eq, t: "bool" };
}

/** The wider type; equal widths with mixed signedness give the unsigned one; a literal takes the other's. */
function promote(a: Ty, b: Ty): Ty {
  if (a === null || b === null) return a ?? b;
  if (BITS[a] !== BITS[b]) return BITS[a] > BITS[b] ? a : b;
  return a[0] === "i" ? b : a;
}

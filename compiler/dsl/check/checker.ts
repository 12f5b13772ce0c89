// The checker: takes a parsed AST (syntax/parser.ts), resolves names and types, checks the DSL rules
// (imports from "tsebpf", program shape, null checks on header views, constant loop bounds, no
// recursion, no unsupported TypeScript) and returns the annotated program plus diagnostics.
// Expressions are in expr.ts, type helpers in types.ts. Never throws on bad input.
import type * as A from "../ast.js";
import { inSourceOrder, type Diagnostic } from "../../diagnostics.js";
import { HEADERS, MAPS, MODULE_NAME, UNSUPPORTED_MAPS, exportedNames, isIntName, INT_TYPES } from "../catalog.js";
import { ACTION, ERROR, VOID, assignable, isError, isInt, notAssignableMessage, resolveTypeRef, typeName } from "./types.js";
import { literalType, narrow } from "../int-rule.js";
import { ExprChecker, intersect, mayAdjust, type Facts } from "./expr.js";
import { diag } from "../codes.js";
import { MAX_CALL_DEPTH, MAX_LOOP_TRIPS } from "../limits.js";
import { DROPS_MAP, LOG_MAP } from "../../log-record.js";
import { MAP_TYPE } from "../../object.js";

export interface CheckResult {
  program: A.CheckedProgram;
  diagnostics: Diagnostic[];
}

export function checkProgram(ast: A.Program): CheckResult {
  const c = new Checker();
  let program: A.CheckedProgram;
  try {
    program = c.run(ast);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    c.diagnostics.push(diag("unsupported", "The program is nested too deeply to compile.", ast.span));
    program = { ast, programs: [], functions: [], maps: [], consts: [] };
  }
  return { program, diagnostics: inSourceOrder(c.diagnostics) };
}

const MAX_PARAMS = 5;
/** Maps the compiler adds itself (docs/log-format.md). */
const RESERVED_MAPS = new Set([LOG_MAP, DROPS_MAP]);
/** Array maps: the kernel requires key_size 4 (an index). */
const INDEXED_MAPS = new Set<number>([MAP_TYPE.ARRAY, MAP_TYPE.PERCPU_ARRAY]);

class Checker extends ExprChecker {
  private loopVars = new Set<A.Binding>();
  private returnType: A.Type = VOID;

  run(ast: A.Program): A.CheckedProgram {
    const exported = new Set(exportedNames());
    for (const item of ast.items) if (item.kind === "ImportDecl") this.importDecl(item, exported);
    const maps: A.MapDecl[] = [], consts: A.ConstDecl[] = [], fns: A.FunctionDecl[] = [];
    for (const item of ast.items) {
      if (item.kind === "MapDecl") maps.push(item);
      else if (item.kind === "ConstDecl") consts.push(item);
      else if (item.kind === "FunctionDecl") fns.push(item);
      else if (item.kind === "Unsupported" && !(ast.syntaxErrors && item.what === "top-level-statement")) this.reportUnsupported(item.what, item.span);
    }
    for (const f of fns) this.global({ kind: "function", name: f.name, decl: f }, f.nameSpan);
    this.scopes = [];
    for (const k of consts) this.constDecl(k);
    for (const m of maps) this.mapDecl(m);
    for (const f of fns) this.signature(f);
    this.adjusting = adjustingFunctions(fns);
    for (const f of fns) this.body(f);
    const programs = fns.filter((f) => f.role === "xdp");
    if (programs.length === 0 && !this.diagnostics.length)
      this.report("noProgram", "No XDP program: export a function taking one XdpContext parameter, e.g. 'export function xdp_main(ctx: XdpContext): XdpAction'.", { file: ast.file, line: 1, col: 1, offset: 0, length: 0 });
    const functions = this.callGraph(programs);
    return { ast, programs, functions, maps, consts };
  }

  private global(b: A.Binding, span: A.Span): void {
    if (!b.name) return;
    if (this.globals.has(b.name) || this.imports.has(b.name)) this.report("redeclare", `Cannot redeclare block-scoped variable '${b.name}'.`, span);
    else this.globals.set(b.name, b);
  }

  private importDecl(d: A.ImportDecl, exported: Set<string>): void {
    if (!d.source) return; // syntax error, already reported
    if (d.source !== MODULE_NAME) {
      this.report("importSource", `Imports must come from "${MODULE_NAME}", not "${d.source}".`, d.span);
      return;
    }
    for (const s of d.names) {
      if (!s.name) continue;
      if (UNSUPPORTED_MAPS.has(s.name)) {
        this.report("mapDecl", `${s.name} is not supported yet; the map classes are ${Object.keys(MAPS).join(", ")}.`, s.span);
        this.imports.set(s.local, s.name); // declarations of it are then not reported again
      } else if (!exported.has(s.name)) this.report("noExportedMember", `Module '"${MODULE_NAME}"' has no exported member '${s.name}'.`, s.span);
      else if (this.imports.has(s.local)) this.report("redeclare", `Duplicate identifier '${s.local}'.`, s.span);
      else this.imports.set(s.local, s.name);
    }
  }

  protected override resolveType(ref: A.TypeRef): A.Type {
    const r = resolveTypeRef(ref, (n) => this.imports.get(n) ?? (n === "bool" ? undefined : undefined));
    if (r.kind === "type") return r.type;
    const hint = r.code === "cannotFindName" && (isIntName(ref.name) || Object.hasOwn(HEADERS, ref.name) || ["XdpContext", "XdpAction", "bool"].includes(ref.name))
      ? ` Import it: import { ${ref.name} } from "tsebpf".` : "";
    this.report(r.code, r.message + hint, ref.span);
    return ERROR;
  }

  // ------------------------------------------------------------ top-level declarations

  private constDecl(k: A.ConstDecl): void {
    const ann = k.typeAnn && this.resolveType(k.typeAnn);
    const t = this.checkValue(k.init, ann && isInt(ann) ? ann : undefined);
    let type: A.Type = ann ?? t;
    if (ann) this.checkStore(k.init, t, ann);
    if (k.init.constValue === undefined) {
      if (!isError(t)) this.report("constantExpr", "Top-level constants must be compile-time constant integers (or bool).", k.init.span);
      type = ERROR;
    }
    k.type = type;
    const value = k.init.constValue ?? 0n;
    k.value = isInt(type) ? narrow(value, type) : value;
    this.global({ kind: "const", name: k.name, type, value: k.value, decl: k }, k.nameSpan);
  }

  private mapDecl(m: A.MapDecl): void {
    const cat = this.imports.get(m.mapClass);
    const cls = cat !== undefined ? MAPS[cat] : undefined;
    const type: A.MapType = { kind: "map", mapKind: cat ?? m.mapClass, key: INT_TYPES.u32, value: INT_TYPES.u32 };
    if (!cls) {
      if (m.mapClass && !UNSUPPORTED_MAPS.has(cat ?? "")) this.report(cat === undefined ? "cannotFindName" : "mapDecl", cat === undefined ? `Cannot find name '${m.mapClass}'.${MAPS[m.mapClass] ? ` Import it: import { ${m.mapClass} } from "tsebpf".` : ""}` : `'${m.mapClass}' is not a map class (${Object.keys(MAPS).join(", ")}).`, m.span);
    } else {
      const args = m.typeArgs.map((t) => this.resolveType(t));
      if (args.length !== cls.typeArgs) this.report("mapDecl", `${cat} takes ${cls.typeArgs} type argument${cls.typeArgs === 1 ? "" : "s"}, e.g. new ${cat}<${cls.typeArgs === 1 ? "u64" : "u32, u64"}>(1024).`, m.span);
      args.forEach((a, i) => {
        if (!isError(a) && !isInt(a)) this.report("mapDecl", `Map keys and values must be integer types, not '${typeName(a)}'.`, m.typeArgs[i]!.span);
      });
      const ints = args.map((a) => (isInt(a) ? a : INT_TYPES.u32));
      if (cls.typeArgs === 2) [type.key, type.value] = [ints[0] ?? INT_TYPES.u32, ints[1] ?? INT_TYPES.u32];
      else type.value = ints[0] ?? INT_TYPES.u32;
      if (INDEXED_MAPS.has(cls.type) && isInt(args[0] ?? ERROR) && type.key.name !== "u32")
        this.report("mapDecl", `${cat} keys are array indexes: the key type must be u32, not '${type.key.name}'.`, m.typeArgs[0]!.span);
      m.maxEntries = this.maxEntries(m, cat!);
    }
    m.type = type;
    if (RESERVED_MAPS.has(m.name)) this.report("mapDecl", `The map name '${m.name}' is reserved by tsebpf (log records).`, m.nameSpan);
    this.global({ kind: "map", name: m.name, type, decl: m }, m.nameSpan);
  }

  private maxEntries(m: A.MapDecl, cat: string): number | undefined {
    if (m.args.length !== 1) {
      this.report("argCount", `Expected 1 argument (max entries), but got ${m.args.length}.`, m.span);
      return undefined;
    }
    const a = m.args[0]!;
    const t = this.checkValue(a, INT_TYPES.u32);
    const v = a.constValue;
    if (isError(t)) return undefined;
    if (v === undefined || v <= 0n || v > 0xffffffffn) {
      this.report("mapDecl", "The size of a map must be a positive compile-time constant.", a.span);
      return undefined;
    }
    if (cat === "RingBuf" && (v < 4096n || (v & (v - 1n)) !== 0n)) this.report("mapDecl", "A RingBuf size must be a power of two and at least 4096 bytes.", a.span);
    return Number(v);
  }

  private signature(f: A.FunctionDecl): void {
    if (f.isAsync) this.reportUnsupported("async", f.nameSpan);
    for (const p of f.params) {
      if (!p.typeAnn) {
        if (p.name) this.report("implicitAny", `Parameter '${p.name}' implicitly has an 'any' type.`, p.span);
        p.type = ERROR;
      } else p.type = this.resolveType(p.typeAnn);
    }
    const isXdp = f.exported && f.params.length === 1 && (f.params[0]!.type?.kind === "ctx" || isError(f.params[0]!.type));
    f.role = isXdp ? "xdp" : "helper";
    if (f.exported && !isXdp) this.report("programShape", "An exported function is an XDP program: it must take exactly one parameter of type XdpContext.", f.nameSpan);
    if (!isXdp) {
      if (f.params.length > MAX_PARAMS) this.report("programShape", `Functions take at most ${MAX_PARAMS} parameters.`, f.nameSpan);
      for (const p of f.params)
        if (p.type && !isError(p.type) && !isInt(p.type) && p.type.kind !== "bool" && p.type.kind !== "ctx")
          this.report("programShape", `Function parameters must be integers, bool or XdpContext, not '${typeName(p.type)}'.`, p.span);
    }
    if (f.returnTypeAnn) {
      const rt = this.resolveType(f.returnTypeAnn);
      f.returnType = rt;
      if (isXdp && !isError(rt) && rt.kind !== "action") this.report("programShape", `An XDP program must return XdpAction, not '${typeName(rt)}'.`, f.returnTypeAnn.span);
      else if (!isXdp && !isError(rt) && !isInt(rt) && rt.kind !== "bool" && rt.kind !== "void" && rt.kind !== "action")
        this.report("programShape", `Functions must return an integer, bool, XdpAction or void, not '${typeName(rt)}'.`, f.returnTypeAnn.span);
    } else f.returnType = isXdp ? ACTION : this.inferReturn(f);
  }

  // ------------------------------------------------------------ function bodies

  private body(f: A.FunctionDecl): void {
    this.currentFn = f;
    this.scopes = [new Map()];
    this.facts = new Set();
    this.adjustCount = 0;
    f.params.forEach((p, index) => {
      const b: A.Binding = { kind: "param", id: this.nextId++, name: p.name, index, type: p.type ?? ERROR, decl: p, func: f };
      if (p.name) this.declare(b, p.span);
    });
    this.returnType = f.returnType ?? ERROR;
    const terminates = this.block(f.body, false);
    if (!terminates && this.returnType.kind !== "void" && !isError(this.returnType))
      this.report("lacksReturn", `Function lacks ending return statement and return type does not include 'undefined'.`, f.returnTypeAnn?.span ?? f.nameSpan);
    this.scopes = [];
    this.currentFn = undefined;
  }

  /** Without an annotation, a helper returns void unless it has `return <value>`; then the annotation is required. */
  private inferReturn(f: A.FunctionDecl): A.Type {
    if (hasValueReturn(f.body)) {
      this.report("programShape", `Function '${f.name}' returns a value: declare its return type, e.g. 'function ${f.name}(…): u32'.`, f.nameSpan);
      return ERROR;
    }
    return VOID;
  }

  /** Check statements; returns true when control never reaches the end. */
  private block(b: A.Block, scoped = true): boolean {
    if (scoped) this.scopes.push(new Map());
    let terminated = false;
    for (const s of b.body) if (this.stmt(s)) terminated = true;
    if (scoped) this.scopes.pop();
    return terminated;
  }

  private stmt(s: A.Stmt): boolean {
    switch (s.kind) {
      case "Block": return this.block(s);
      case "VarDecl": this.varDecl(s); return false;
      case "Assign": this.assign(s); return false;
      case "ExprStmt": this.exprStmt(s); return false;
      case "Return": this.returnStmt(s); return true;
      case "If": return this.ifStmt(s);
      case "For": this.forStmt(s); return false;
      case "Unsupported": this.reportUnsupported(s.what, s.span); return true; // flow unknown: no "lacks ending return" on top
    }
  }

  private varDecl(d: A.VarDecl): void {
    const ann = d.typeAnn && this.resolveType(d.typeAnn);
    let t: A.Type = ann ?? ERROR;
    if (!d.init) {
      this.report("unsupported", `Variable '${d.name}' needs an initial value.`, d.nameSpan);
    } else {
      const it = this.checkValue(d.init, ann && isInt(ann) ? ann : ann?.kind === "nullable" ? ann.inner : undefined);
      if (ann) {
        this.checkStore(d.init, it, ann);
      } else {
        t = this.localType(d, it);
        this.checkStore(d.init, it, t);
      }
    }
    const b: A.Binding = { kind: "local", id: this.nextId++, name: d.name, mutable: d.mutable, type: t, decl: d };
    d.binding = b;
    if (!d.mutable && d.init?.constValue !== undefined && isInt(t)) {
      this.constLocals.set(b, narrow(d.init.constValue, t));
      if (!ann && this.flexible.has(d.init)) this.flexLocals.add(b);
    }
    if (t.kind === "header" || (t.kind === "nullable" && t.inner.kind === "header")) this.viewEpoch.set(b, this.adjustCount);
    if (d.name) this.declare(b, d.nameSpan);
  }

  /** A value stored into a declared destination: out-of-range constants, then assignability. */
  private checkStore(e: A.Expr, t: A.Type, dst: A.Type): void {
    const range = this.outOfRange(e, t, dst);
    if (range) this.report("notAssignable", range, e.span);
    else if (!assignable(t, dst, this.cv(e))) this.report("notAssignable", notAssignableMessage(t, dst), e.span);
  }

  private localType(d: A.VarDecl, it: A.Type): A.Type {
    if (isError(it)) return ERROR;
    if (isInt(it) || it.kind === "bool" || it.kind === "action" || it.kind === "header" || it.kind === "nullable") {
      if (isInt(it) && d.init?.constValue !== undefined && this.flexible.has(d.init)) return literalType(d.init.constValue) ?? it;
      return it;
    }
    if (it.kind === "null") this.report("notAssignable", `Variable '${d.name}' cannot be only null; assign it a header view or map value, e.g. 'const ${d.name} = ctx.header(Ipv4Hdr, EthHdr.size)'.`, d.nameSpan);
    else this.report("unsupported", `Values of type '${typeName(it)}' cannot be stored in variables.`, d.init!.span);
    return ERROR;
  }

  private assign(s: A.Assign): void {
    const tgt = s.target;
    let tt: A.Type;
    if (tgt.kind === "Identifier") {
      const b = this.lookup(tgt.name);
      if (!b) {
        this.checkExpr(tgt);
        this.checkExpr(s.value);
        return;
      }
      tgt.binding = b;
      if (b.kind === "local" && !b.mutable) {
        this.report("constAssign", `Cannot assign to '${b.name}' because it is a constant.`, tgt.span);
        this.checkExpr(s.value);
        return;
      }
      if (b.kind !== "local" && b.kind !== "param") {
        this.report(b.kind === "const" ? "constAssign" : "notVariable", b.kind === "const" ? `Cannot assign to '${b.name}' because it is a constant.` : `Cannot assign to '${b.name}' because it is not a variable.`, tgt.span);
        this.checkExpr(s.value);
        return;
      }
      if (this.loopVars.has(b)) this.report("loopBound", `The loop counter '${b.name}' must not be changed inside the loop.`, tgt.span);
      tt = b.type;
      tgt.type = tt;
      this.facts = without(this.facts, b);
    } else if (tgt.kind === "MemberExpr") {
      tt = this.checkExpr(tgt);
      if (!isError(tt) && tgt.member?.kind !== "headerField") {
        this.report("readOnly", `Cannot assign to '${tgt.property}' because it is a read-only property.`, tgt.propertySpan);
        tt = ERROR;
      } else if (tgt.member?.kind === "headerField" && tgt.member.bitWidth !== undefined) {
        this.report("readOnly", `Cannot assign to '${tgt.property}': bit fields are read-only.`, tgt.propertySpan);
      }
    } else {
      this.checkExpr(tgt);
      this.report("unsupported", "Only variables and header fields can be assigned.", tgt.span);
      this.checkExpr(s.value);
      return;
    }
    const target = tt.kind === "nullable" && s.op !== "=" ? ERROR : tt;
    const vt = this.checkValue(s.value, isInt(target) ? target : undefined);
    if (s.op !== "=" && !isError(target) && !isInt(target)) {
      this.report("operatorTypes", `Operator '${s.op}' cannot be applied to type '${typeName(target)}'.`, s.span);
      return;
    }
    const shift = s.op === "<<=" || s.op === ">>=" || s.op === ">>>=";
    const range = s.op === "=" ? this.outOfRange(s.value, vt, target) : undefined;
    if (range) this.report("notAssignable", range, s.value.span);
    else if (shift ? !isError(vt) && !isInt(vt) : !assignable(vt, target, s.op === "=" ? this.cv(s.value) : undefined))
      this.report("notAssignable", notAssignableMessage(vt, target), s.value.span);
    else if (tt.kind === "nullable" && (vt.kind === "header" || isInt(vt)) && tgt.kind === "Identifier" && tgt.binding)
      this.facts = new Set([...this.facts, tgt.binding]); // assigned a checked view: known non-null
  }

  private exprStmt(s: A.ExprStmt): void {
    const t = this.checkExpr(s.expr);
    if (t.kind === "string") this.report("stringValue", "String values are only allowed as log messages.", s.expr.span);
  }

  private returnStmt(s: A.Return): void {
    const rt = this.returnType;
    if (!s.value) {
      if (rt.kind !== "void" && !isError(rt)) this.report("notAssignable", `Type 'void' is not assignable to type '${typeName(rt)}'.`, s.span);
      return;
    }
    const t = this.checkValue(s.value, isInt(rt) ? rt : undefined);
    const range = this.outOfRange(s.value, t, rt);
    if (rt.kind === "void" && !isError(t)) this.report("notAssignable", `Type '${typeName(t)}' is not assignable to type 'void'.`, s.value.span);
    else if (range) this.report("notAssignable", range, s.value.span);
    else if (!assignable(t, rt, this.cv(s.value))) {
      const hint = rt.kind === "action" ? " Return one of XdpAction.Pass, .Drop, .Tx, .Redirect, .Aborted." : "";
      this.report("notAssignable", `Type '${typeName(t)}' is not assignable to type '${typeName(rt)}'.${hint}`, s.value.span);
    }
  }

  private ifStmt(s: A.If): boolean {
    const entry = this.facts;
    const c = this.checkCond(s.test);
    const adjusts = this.adjustCount; // adjustHead/Tail in a branch that returns leaves views valid after the if
    this.facts = c.t;
    const thenEnds = this.branch(s.then);
    const afterThen = this.facts, adjustsThen = this.adjustCount;
    this.facts = c.f;
    this.adjustCount = adjusts;
    const elseEnds = s.else ? this.branch(s.else) : false;
    const afterElse = this.facts, adjustsElse = this.adjustCount;
    if (thenEnds && elseEnds) this.facts = entry;
    else if (thenEnds) this.facts = afterElse;
    else if (elseEnds) [this.facts, this.adjustCount] = [afterThen, adjustsThen];
    else [this.facts, this.adjustCount] = [intersect(afterThen, afterElse), Math.max(adjustsThen, adjustsElse)];
    return thenEnds && elseEnds;
  }

  /** A statement in its own scope (if/for bodies). */
  private branch(s: A.Stmt): boolean {
    this.scopes.push(new Map());
    const r = this.stmt(s);
    this.scopes.pop();
    return r;
  }

  private forStmt(s: A.For): void {
    this.scopes.push(new Map());
    const entry = this.facts;
    if (mayAdjust(s.body, this.adjusting)) this.adjustCount++; // a later iteration sees views from before the call
    if (s.init) this.varDecl(s.init);
    const counter = s.init?.binding;
    if (s.test) this.checkCond(s.test);
    if (s.update) this.assign(s.update);
    this.tripCount(s, counter);
    if (counter) this.loopVars.add(counter);
    this.branch(s.body);
    if (counter) this.loopVars.delete(counter);
    this.facts = intersect(entry, this.facts);
    this.scopes.pop();
  }

  private tripCount(s: A.For, counter: A.Binding | undefined): void {
    const shape = "Loop bound must be a compile-time constant: write 'for (let i = A; i < N; i++)' with constant A and N.";
    const init = s.init?.init?.constValue;
    const test = s.test;
    if (!counter || !s.init?.mutable || init === undefined || !test || test.kind !== "BinaryExpr" || !isCounter(test.left, counter) || !s.update || !isCounter(s.update.target, counter)) {
      this.report("loopBound", shape, test?.span ?? s.span);
      return;
    }
    const bound = test.right.constValue;
    const step = s.update.value.constValue;
    if (bound === undefined || step === undefined || step === 0n || (s.update.op !== "+=" && s.update.op !== "-=")) {
      this.report("loopBound", shape, bound === undefined ? test.right.span : s.update.span);
      return;
    }
    const trips = countTrips(init, test.op, bound, s.update.op === "+=" ? step : -step);
    if (trips === undefined || trips > MAX_LOOP_TRIPS) {
      this.report("loopBound", trips === undefined ? "This loop never ends: its counter does not move towards the bound." : `This loop runs ${trips} times; at most ${MAX_LOOP_TRIPS} iterations are allowed.`, s.span);
      return;
    }
    s.tripCount = trips;
  }

  // ------------------------------------------------------------ call graph

  /** Reachable helper functions, callees first; reports recursion at the call that closes a cycle. */
  private callGraph(programs: A.FunctionDecl[]): A.FunctionDecl[] {
    const state = new Map<A.FunctionDecl, "active" | "done">();
    const order: A.FunctionDecl[] = [];
    // the walk goes no deeper than MAX_CALL_DEPTH + 1 (so a chain of thousands cannot overflow)
    const visit = (f: A.FunctionDecl, path: A.FunctionDecl[]): void => {
      state.set(f, "active");
      const callees: A.FunctionDecl[] = [];
      for (const site of this.callSites.get(f) ?? []) {
        if (!callees.includes(site.callee)) callees.push(site.callee);
        const st = state.get(site.callee);
        const chain = [...path, f];
        if (st === "active") {
          const cycle = [...chain.slice(chain.indexOf(site.callee)), site.callee].map((x) => x.name);
          this.report("recursion", `Recursion is not allowed: ${cycle.join(" → ")}.`, site.span);
        } else if (chain.length > MAX_CALL_DEPTH) {
          if (chain[0]!.role === "xdp") this.report("callDepth", callDepthMessage([...chain, site.callee]), site.span);
        } else if (st === undefined) visit(site.callee, chain);
      }
      f.callees = callees;
      state.set(f, "done");
      if (f.role !== "xdp") order.push(f);
    };
    for (const p of programs) if (!state.has(p)) visit(p, []);
    for (const f of this.callSites.keys()) if (!state.has(f)) visit(f, []);
    return order.filter((f) => reachable(programs, f));
  }
}

function callDepthMessage(chain: A.FunctionDecl[]): string {
  const names = chain.map((f) => f.name);
  const shown = names.length > 8 ? [...names.slice(0, 4), "…", ...names.slice(-3)] : names;
  return `Helper calls nest ${names.length - 1} deep (${shown.join(" → ")}); helpers are inlined, so calls may nest at most ${MAX_CALL_DEPTH} deep.`;
}

/** Names of functions that call ctx.adjustHead/adjustTail, directly or through other functions. */
function adjustingFunctions(fns: A.FunctionDecl[]): Set<string> {
  const out = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const f of fns)
      if (!out.has(f.name) && mayAdjust(f.body, out)) {
        out.add(f.name);
        changed = true;
      }
  }
  return out;
}

function reachable(programs: A.FunctionDecl[], f: A.FunctionDecl): boolean {
  const seen = new Set<A.FunctionDecl>();
  const stack = [...programs];
  while (stack.length) {
    const x = stack.pop()!;
    if (x === f) return true;
    if (seen.has(x)) continue;
    seen.add(x);
    stack.push(...(x.callees ?? []));
  }
  return false;
}

function isCounter(e: A.Expr, b: A.Binding): boolean {
  return e.kind === "Identifier" && e.binding === b;
}

function countTrips(init: bigint, op: string, bound: bigint, step: bigint): number | undefined {
  const holds = (i: bigint): boolean =>
    op === "<" ? i < bound : op === "<=" ? i <= bound : op === ">" ? i > bound : op === ">=" ? i >= bound : op === "!=" || op === "!==" ? i !== bound : false;
  if (!holds(init)) return 0;
  const dist = bound - init;
  if (dist !== 0n && (dist > 0n) !== (step > 0n)) return undefined;
  if (op === "!=" || op === "!==") return dist % step === 0n ? Number(dist / step) : undefined;
  const span = op === "<=" || op === ">=" ? dist + (step > 0n ? 1n : -1n) : dist;
  const n = (span + step - (step > 0n ? 1n : -1n)) / step;
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}

function hasValueReturn(s: A.Stmt): boolean {
  switch (s.kind) {
    case "Return": return s.value !== undefined;
    case "Block": return s.body.some(hasValueReturn);
    case "If": return hasValueReturn(s.then) || (s.else !== undefined && hasValueReturn(s.else));
    case "For": return hasValueReturn(s.body);
    default: return false;
  }
}

function without(s: Facts, b: A.Binding): Facts {
  if (!s.has(b)) return s;
  const out = new Set(s);
  out.delete(b);
  return out;
}

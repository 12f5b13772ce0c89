// The checker's shared context: takes nothing and produces the state every check/ module works on
// (diagnostics, imports, scopes, the flow on the current path, untyped constants, call sites) plus
// the small operations on it — reporting, name lookup and declaration, written types resolved
// against the catalogue, constants that do not fit their destination, nullable values used as values.
import type * as A from "../ast.js";
import type { Diagnostic } from "../../diagnostics.js";
import type { Span } from "../../span.js";
import { CONSTANTS, FORMATS, HEADERS, HELPERS, INT_TYPES, LOG_LEVELS, MAPS, isIntName } from "../catalog.js";
import { ERROR, assignable, isError, isInt, notAssignableMessage, resolveTypeRef, typeName } from "./types.js";
import { fits, widens } from "../int-rule.js";
import { diag, type CodeName, UNSUPPORTED } from "../codes.js";
import { Flow } from "../flow.js";

export interface MapRef {
  map: string;
  epoch: number;
}

/** A ring-buffer record held in a variable: the ring it was reserved from, its declaration. */
export interface RecordRef {
  map: string;
  decl: A.VarDecl;
}

/** A statement break/continue may leave: the flows reaching its exit and (a loop) its next round. */
export interface JumpTarget {
  stmt: A.Stmt;
  labels: string[];
  loop: boolean;
  /** How many scopes were open at the statement: a jump leaves the ones opened since. */
  depth: number;
  breaks?: Flow<A.Binding>;
  conts?: Flow<A.Binding>;
}

export interface CallSite {
  callee: A.FunctionDecl;
  span: Span;
}

export interface CheckCtx {
  readonly diagnostics: Diagnostic[];
  /** local name → catalogue name, from `import { … } from "tsebpf"`. */
  readonly imports: Map<string, string>;
  readonly globals: Map<string, A.Binding>;
  /** One Binding object per catalogue name (bindings compare by identity). */
  readonly builtins: Map<string, A.Binding>;
  scopes: Map<string, A.Binding>[];
  /** What holds on the current path: bindings known non-null, the packet epoch. */
  flow: Flow<A.Binding>;
  /** Constant values of const locals with constant initialisers. */
  readonly constLocals: Map<A.Binding, bigint>;
  /** Header views: the epoch they were taken at (adjustHead/Tail makes older views stale). */
  readonly viewEpoch: Map<A.Binding, number>;
  /** The program's struct types by name (interface / object type alias). */
  readonly structs: Map<string, A.StructType>;
  /** References into map values: the map and its store epoch when taken (set/delete make them stale). */
  readonly mapRefs: Map<A.Binding, MapRef>;
  /** Variables holding a reserved ring-buffer record (records.ts). */
  readonly records: Map<A.Binding, RecordRef>;
  /** Variables referring into a record (the record's own variable, aliases of its fields): the record's variable. */
  readonly recordRoots: Map<A.Binding, A.Binding>;
  /** Struct and array variables naming (part of) a global variable or a struct parameter (`const c =
   * CFG`): that global or parameter. */
  readonly aliasRoots: Map<A.Binding, A.Binding>;
  /** Struct parameters a function writes through (globals.ts checkReadOnlyArgs): indices per function. */
  readonly paramWrites: Map<A.FunctionDecl, Set<number>>;
  /** A struct parameter passed on to a function: `from`'s parameter `index` is `callee`'s `to`. */
  readonly paramPasses: { from: A.FunctionDecl; index: number; callee: A.FunctionDecl; to: number }[];
  /** A read-only global struct passed to a static function's parameter `index`. */
  readonly readOnlyArgs: { callee: A.FunctionDecl; index: number; global: string; span: A.Span }[];
  /** The `R.reserve()` call a `const` declaration is initialised with, while it is checked. */
  reserving: A.Expr | undefined;
  /** Per function, the maps it (directly or through calls) sets or deletes in. */
  mapWriters: Map<string, Set<string>>;
  /** Functions that (directly or through calls) call ctx.adjustHead/adjustTail. */
  adjusting: Set<string>;
  currentFn: A.FunctionDecl | undefined;
  returnType: A.Type;
  readonly loopVars: Set<A.Binding>;
  /** Per loop, what its head lost against its entry when last checked (bindings, a new epoch). */
  readonly loopHeads: WeakMap<A.For | A.ForOf | A.While, { lost: A.Binding[]; stale: boolean }>;
  /** The loops, switches and labelled statements around the current statement (innermost last). */
  jumps: JumpTarget[];
  readonly callSites: Map<A.FunctionDecl, CallSite[]>;
  nextId: number;
  /** Untyped constants (literals and unannotated consts): they take the type their context needs. */
  readonly flexible: WeakSet<A.Expr>;
  readonly flexLocals: Set<A.Binding>;
  /** Checking a global variable's initial value (it is no stack value: no stack size limit). */
  inGlobalInit: boolean;
  /** Checks a call (check/calls.ts; expressions reach calls through here, so expr.ts need not import it). */
  readonly call: (cx: CheckCtx, e: A.CallExpr) => A.Type;
}

export function newContext(call: CheckCtx["call"]): CheckCtx {
  return {
    diagnostics: [],
    imports: new Map(),
    globals: new Map(),
    builtins: new Map(),
    scopes: [],
    flow: Flow.start(),
    constLocals: new Map(),
    viewEpoch: new Map(),
    structs: new Map(),
    mapRefs: new Map(),
    records: new Map(),
    recordRoots: new Map(),
    aliasRoots: new Map(),
    paramWrites: new Map(),
    paramPasses: [],
    readOnlyArgs: [],
    reserving: undefined,
    mapWriters: new Map(),
    adjusting: new Set(),
    currentFn: undefined,
    returnType: ERROR,
    loopVars: new Set(),
    loopHeads: new WeakMap(),
    jumps: [],
    callSites: new Map(),
    nextId: 0,
    flexible: new WeakSet(),
    flexLocals: new Set(),
    inGlobalInit: false,
    call,
  };
}

export function report(cx: CheckCtx, code: CodeName, message: string, span: Span | undefined): void {
  cx.diagnostics.push(diag(code, message, span));
}

export function reportUnsupported(cx: CheckCtx, what: string, span: Span): void {
  if (!what) return;
  const u = UNSUPPORTED[what] ?? {
    code: "unsupported" as const,
    message: `This construct is not supported (${what}).`,
  };
  report(cx, u.code, u.message, span);
}

/** Report at e and produce the error type. */
export function fail(cx: CheckCtx, code: CodeName, message: string, e: { span: Span }): A.Type {
  report(cx, code, message, e.span);
  return ERROR;
}

/**
 * An array or object literal where its context expects no type of its kind (`expected`: another type, or
 * none): its values checked on their own (`check`), then one error — none when `expected` is already one.
 * `what` names the literal, `needs` the kind of type, `example` a declaration with one.
 */
export function untypedLiteral(
  cx: CheckCtx,
  e: { span: Span },
  values: readonly A.Expr[],
  expected: A.Type | undefined,
  check: (x: A.Expr) => A.Type,
  code: CodeName,
  what: { literal: string; needs: string; example: string },
): A.Type {
  for (const x of values) check(x);
  if (expected && isError(expected)) return ERROR;
  const message = expected
    ? `An ${what.literal} is not a '${typeName(expected)}'.`
    : `An ${what.literal} needs ${what.needs} here: annotate it, e.g. '${what.example}'.`;
  return fail(cx, code, message, e);
}

// ------------------------------------------------------------ names

export function lookup(cx: CheckCtx, name: string): A.Binding | undefined {
  for (let i = cx.scopes.length - 1; i >= 0; i--) {
    const b = cx.scopes[i]!.get(name);
    if (b) return b;
  }
  const g = cx.globals.get(name);
  if (g) return g;
  const cat = cx.imports.get(name);
  if (cat === undefined) return undefined;
  let b = cx.builtins.get(cat);
  if (!b) {
    const c = CONSTANTS[cat];
    b = c ? { kind: "const", name: cat, type: INT_TYPES[c.type], value: c.value } : { kind: "builtin", name: cat };
    cx.builtins.set(cat, b);
  }
  return b;
}

export function declare(cx: CheckCtx, b: A.Binding, span: Span): void {
  const scope = cx.scopes[cx.scopes.length - 1]!;
  if (scope.has(b.name)) report(cx, "redeclare", `Cannot redeclare block-scoped variable '${b.name}'.`, span);
  scope.set(b.name, b);
}

export function unknownName(cx: CheckCtx, name: string, span: Span): void {
  const hint = isCatalogName(name) ? ` Import it: import { ${name} } from "tsebpf".` : "";
  report(cx, "cannotFindName", `Cannot find name '${name}'.${hint}`, span);
}

export function isCatalogName(name: string): boolean {
  return (
    isIntName(name) ||
    name === "XdpContext" ||
    name === "XdpFragsContext" ||
    name === "XdpAction" ||
    Object.hasOwn(HEADERS, name) ||
    Object.hasOwn(CONSTANTS, name) ||
    Object.hasOwn(MAPS, name) ||
    Object.hasOwn(HELPERS, name) ||
    Object.hasOwn(LOG_LEVELS, name) ||
    Object.hasOwn(FORMATS, name)
  );
}

/** Resolve a written type against the imports, reporting errors. */
export function resolveType(cx: CheckCtx, ref: A.TypeRef): A.Type {
  const r = resolveTypeRef(
    ref,
    (n) => cx.imports.get(n),
    (n) => cx.structs.get(n),
  );
  if (r.kind === "type") return r.type;
  const hint =
    r.code === "cannotFindName" &&
    (isIntName(ref.name) || Object.hasOwn(HEADERS, ref.name) || ["XdpContext", "XdpAction", "bool"].includes(ref.name))
      ? ` Import it: import { ${ref.name} } from "tsebpf".`
      : "";
  report(cx, r.code, r.message + hint, ref.span);
  return ERROR;
}

// ------------------------------------------------------------ values

/** The constant value of an untyped constant (for assignability), else undefined. */
export function cv(cx: CheckCtx, e: A.Expr): bigint | undefined {
  return cx.flexible.has(e) ? e.constValue : undefined;
}

/** A constant stored into dst (a variable, parameter, return, map key/value) that does not fit it: the message, else undefined. */
export function outOfRange(cx: CheckCtx, e: A.Expr, t: A.Type, dst: A.Type): string | undefined {
  const d = dst.kind === "nullable" ? dst.inner : dst;
  const v = e.constValue;
  if (v === undefined || !isInt(t) || !isInt(d) || fits(v, d) || !(cx.flexible.has(e) || widens(t, d)))
    return undefined;
  return `Type '${v}' is not assignable to type '${d.name}' (out of range).`;
}

/** A value stored into a declared destination: out-of-range constants, then assignability. */
export function checkStore(cx: CheckCtx, e: A.Expr, t: A.Type, dst: A.Type): void {
  const range = outOfRange(cx, e, t, dst);
  if (range) report(cx, "notAssignable", range, e.span);
  else if (!assignable(t, dst, cv(cx, e))) report(cx, "notAssignable", notAssignableMessage(t, dst), e.span);
}

/** A nullable value used where a value is needed: report it. */
export function nonNull(cx: CheckCtx, e: A.Expr, t: A.Type): A.Type {
  if (t.kind !== "nullable") return t;
  return e.kind === "Identifier"
    ? fail(cx, "possiblyNull", `'${e.name}' is possibly 'null'. Check it first: if (${e.name} === null) return …;`, e)
    : fail(cx, "objectPossiblyNull", "Object is possibly 'null'.", e);
}

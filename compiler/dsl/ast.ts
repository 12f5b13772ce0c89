// The DSL's abstract syntax tree: produced by syntax/cst-to-ast.ts (parse) and annotated in place by
// check/checker.ts (check). The back end (lower/) reads only checked ASTs.
//
// Surface (a TypeScript subset; see compiler/dsl/catalog.ts for every known name):
//   import { XdpContext, XdpAction, HashMap, u32, info, ... } from "tsebpf";
//   export const BLOCKLIST = new HashMap<u32, u32>(1024);     // MapDecl (maps are exported consts)
//   const LIMIT = 100;                                         // ConstDecl: top-level compile-time constant
//   let packets: u64 = 0;                                      // ConstDecl (mutable): a global in .bss/.data
//   const PORTS: FixedArray<u16, 3> = [53, 123, 161];          // ConstDecl: a read-only global in .rodata
//   const MAX_PPS = config<u32>(1000);                         // ConstDecl: load-time constant (.rodata)
//   interface Flow { packets: u64; bytes: u64 }                // StructDecl (also `type Flow = { … }`)
//   function helper(a: u32, b: u32): u32 { ... }               // FunctionDecl, not exported: a BPF subprogram
//   export function xdp_fw(ctx: XdpContext): XdpAction { ... } // exported + one XdpContext param: XDP program
// Statements: const/let (optional `: T` annotation), assignment `x = e`, `x op= e`, `x++`/`x--`
// (normalised to `x += 1` / `x -= 1`), if/else, return, `for (let i = A; i < B; i++)`, block,
// expression statements (calls). Expressions: integer literals (decimal/hex/binary/octal, with
// `n` for bigint), true/false, null, string and template literals (logs only), identifiers, member
// access `a.b`, object literals `{ a: 1, b }` (struct values), calls `f(x)`, method calls `m.get(k)`,
// unary `! - ~ +`, binary arithmetic/bitwise/
// shift/comparison, logical `&& || ??`, conditional `c ? a : b`, `e as T`, parentheses (dropped).
//
// After checkProgram: every Expr has `type`; every Identifier has `binding`; every CallExpr has
// `callee` resolved (`CallTarget`); every MemberExpr has `member` resolved (`MemberTarget`);
// compile-time constants carry `constValue` (a bigint: the expression's 64-bit value by the
// integer rule, which may lie outside its static type until it is stored; untyped constants exact).
// Integer semantics (compiler/dsl/int-rule.ts): all integer types are TypeScript `number` aliases
// in types/tsebpf.d.ts (u64/i64 too; bigint literals `5n` are also accepted). Operands are widened
// to 64 bits before they are computed; values are narrowed where stored or by `as`. An
// expression's static type is its widest operand's (equal widths, mixed signedness: unsigned); a
// constant operand takes the other operand's type when it fits. Implicit conversions only widen
// (u8 → u32, i8 → i64, u16 → i32); narrowing or sign changes need `as`.
// Header fields are read in HOST byte order (the compiler swaps); fields may also be assigned.
// `ctx.adjustHead/adjustTail` invalidate earlier header views (the checker rejects their later use).
// `m.get(k) ?? d` (LogicalExpr "??") is the value or d, typed as the map value. `ctx.header(H, off)`
// accepts any u32 offset expression (not only constants). Conditions may be bool, integers
// (non-zero) or header views (non-null); `&&`/`||` always produce bool.
// Unsupported / UnsupportedExpr with `what: ""` are syntax-error placeholders (already reported);
// other `what` values are keys of UNSUPPORTED in codes.ts.
import type { Span } from "../span.js";

export type { Span };

// ---------------------------------------------------------------- types (checker output)

export type IntName = "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64";

export interface IntType {
  kind: "int";
  name: IntName;
  bits: 8 | 16 | 32 | 64;
  signed: boolean;
}
export interface BoolType {
  kind: "bool";
}
export interface VoidType {
  kind: "void";
}
/** The type of the `null` literal. */
export interface NullType {
  kind: "null";
}
/** A bounds-checked view of a packet header (catalog name, e.g. "Ipv4Hdr"). */
export interface HeaderType {
  kind: "header";
  header: string;
}
/** A map handle: `new HashMap<u32, u64>(n)`. mapKind is a catalog map class name. */
export interface MapType {
  kind: "map";
  mapKind: string;
  key: IntType | StructType;
  value: IntType | StructType;
}
/** What a struct field or array element holds. */
export type DataType = IntType | BoolType | StructType | ArrayType;
/** One field of a struct: its byte offset in C layout. */
export interface StructField {
  name: string;
  type: DataType;
  offset: number;
  /** A MAC address kept as its 6 wire bytes and read as a 48-bit host-order value (FibResult's). */
  mac?: true;
}
/**
 * `interface Flow { packets: u64; bytes: u64 }` (or `type Flow = {…}`): laid out as C lays it out,
 * each field at its natural alignment, the size rounded up to the largest alignment. Values of a
 * struct type are places (stack slots or map values): a variable names one, it does not copy it.
 */
export interface StructType {
  kind: "struct";
  name: string;
  fields: StructField[];
  size: number;
  align: number;
}
/** `FixedArray<T, N>`: N elements of T, laid out back to back. */
export interface ArrayType {
  kind: "array";
  elem: IntType | BoolType | StructType;
  length: number;
  size: number;
  align: number;
}
export interface CtxType {
  kind: "ctx";
  /** XdpFragsContext: the program is loaded for multi-buffer packets (section xdp.frags). */
  frags?: boolean;
}
/** XdpAction: an enum of u32 values (Aborted 0, Drop 1, Pass 2, Tx 3, Redirect 4). */
export interface ActionType {
  kind: "action";
}
/** `T | null`: the result of `ctx.header(...)` (inner header) and of `map.get(k)` (inner int, or a
 * struct: then a reference to the value in the map). */
export interface NullableType {
  kind: "nullable";
  inner: HeaderType | IntType | StructType;
}
/** A string/template literal (only valid as a log message). */
export interface StringType {
  kind: "string";
}
/** The type of names that are not values: header classes (EthHdr), map classes, type names. */
export interface NamespaceType {
  kind: "namespace";
  name: string;
}
/** Produced after an error, so one mistake is reported once. Compatible with everything. */
export interface ErrorType {
  kind: "error";
}

export type Type =
  | IntType
  | BoolType
  | VoidType
  | NullType
  | HeaderType
  | MapType
  | CtxType
  | ActionType
  | NullableType
  | StructType
  | ArrayType
  | StringType
  | NamespaceType
  | ErrorType;

// ---------------------------------------------------------------- bindings (checker output)

/** What an identifier refers to. Identical objects for the same declaration (compare by ===). */
export type Binding =
  | { kind: "local"; id: number; name: string; mutable: boolean; type: Type; decl: VarDecl }
  | { kind: "param"; id: number; name: string; index: number; type: Type; decl: Param; func: FunctionDecl }
  | { kind: "map"; name: string; type: MapType; decl: MapDecl }
  | { kind: "const"; name: string; type: Type; value: bigint; decl?: ConstDecl } // top-level const or catalog constant (ETH_P_IP)
  | { kind: "global"; name: string; type: DataType; decl: ConstDecl; global: GlobalVarInfo } // a global variable
  | { kind: "function"; name: string; decl: FunctionDecl }
  | { kind: "builtin"; name: string }; // catalog helper/log/format/class/type name imported from "tsebpf"

/** Resolved target of a call. */
export type CallTarget =
  | { kind: "function"; decl: FunctionDecl } // BPF-to-BPF call of a helper function
  | { kind: "helper"; name: "ktimeNs" | "cpuId" | "redirect" | string } // catalog helper (see catalog HELPERS)
  | { kind: "log"; level: 1 | 2 | 3 | 4 | 5; pieces: string[]; args: LogArg[] } // pieces.length === args.length + 1
  | { kind: "format"; format: "ipv4" | "ipv6" | "hex" | "mac" } // only inside a log template
  | { kind: "mapFunction"; name: string; map: MapDecl } // redirectMap(M, …), tailCall(ctx, M, …): catalog MAP_FUNCTIONS
  | { kind: "mapMethod"; map: MapDecl; method: "get" | "set" | "delete" | "has" | "add" | "output" | string }
  | { kind: "ctxMethod"; method: "header" | "adjustHead" | "adjustTail" | string; header?: string };

/** One `${}` argument of a log call: the expression and its record kind (docs/log-format.md). */
export interface LogArg {
  expr: Expr;
  kind: "u64" | "i64" | "hex" | "ipv4" | "ipv6" | "mac" | "bool";
}

/** Resolved target of `a.b` (not a method call callee). */
export type MemberTarget =
  | {
      kind: "headerField";
      header: string;
      field: string;
      offset: number;
      size: number;
      type: IntType;
      bitOffset?: number;
      bitWidth?: number;
    }
  | { kind: "ctxLength" } // ctx.length: packet length in bytes (data_end - data), u32
  | { kind: "ctxField"; offset: number } // ctx.ingressIfindex, ctx.rxQueueIndex: a u32 of xdp_md
  | { kind: "structField"; field: StructField } // s.f of a struct value (its place + offset)
  | { kind: "headerAddr"; offset: number } // Ipv6Hdr.srcAddr/dstAddr: 16 bytes copied out of the view
  | { kind: "constant"; value: bigint } // EthHdr.size, XdpAction.Pass, ...
  | { kind: "method" }; // callee of a method call; see CallExpr.callee

// ---------------------------------------------------------------- program

export interface Node {
  span: Span;
}

export interface Program extends Node {
  kind: "Program";
  file: string;
  items: TopLevel[];
  /** Number of syntax errors parseProgram reported (the checker then skips follow-on complaints). */
  syntaxErrors?: number;
}

export type TopLevel = ImportDecl | MapDecl | ConstDecl | FunctionDecl | StructDecl | Unsupported;

export interface ImportSpecifier extends Node {
  name: string;
  local: string;
}
export interface ImportDecl extends Node {
  kind: "ImportDecl";
  names: ImportSpecifier[];
  source: string;
  typeOnly: boolean;
}

/** `export const NAME = new MapClass<K, V>(maxEntries);` (export optional but conventional). */
export interface MapDecl extends Node {
  kind: "MapDecl";
  name: string;
  nameSpan: Span;
  exported: boolean;
  mapClass: string; // as written; catalog MAPS key
  typeArgs: TypeRef[];
  args: Expr[]; // [maxEntries]; checker fills maxEntries
  maxEntries?: number;
  type?: MapType;
}

/** Top-level `const NAME = <constant expression>;`, or a global variable (checker: `global`): a
 * `let` (mutable), a `const` struct or array, or a `const NAME = config<T>(v)`. */
export interface ConstDecl extends Node {
  kind: "ConstDecl";
  name: string;
  nameSpan: Span;
  exported: boolean;
  typeAnn?: TypeRef;
  init: Expr;
  /** `let` at top level: a global variable in .data/.bss. */
  mutable?: boolean;
  type?: Type;
  value?: bigint;
  global?: GlobalVarInfo;
}

/** Where a global variable lives (checker output): its section, offset and initial bytes. */
export interface GlobalVarInfo {
  section: ".rodata" | ".data" | ".bss";
  /** Writable from the program (a `let`); .rodata variables are not. */
  mutable: boolean;
  /** `config<T>(v)`: a load-time constant (`const volatile` in BTF, settable with --set). */
  config: boolean;
  offset: number; // filled when the sections are laid out
  init: Uint8Array; // the initial value's bytes (little-endian, C layout)
}

export interface Param extends Node {
  name: string;
  typeAnn?: TypeRef;
  type?: Type;
}

export interface FunctionDecl extends Node {
  kind: "FunctionDecl";
  name: string;
  nameSpan: Span;
  exported: boolean;
  isAsync: boolean;
  params: Param[];
  returnTypeAnn?: TypeRef;
  body: Block;
  /** Checker: "xdp" for an exported function with one XdpContext param returning XdpAction,
   * "global" for another exported function (a global BPF function, verified on its own), else "helper". */
  role?: "xdp" | "global" | "helper";
  returnType?: Type;
  /** Checker: direct callees (helper functions), for ordering subprograms. */
  callees?: FunctionDecl[];
}

/** A type as written: `u32`, `Ipv4Hdr | null`, `HashMap<u32, u64>`, `FixedArray<u8, 4>` (a number
 * literal is a TypeRef named by its text); an object type `{ a: u32 }` has name "{}" and `fields`. */
export interface TypeRef extends Node {
  kind: "TypeRef";
  name: string;
  args: TypeRef[];
  nullable: boolean;
  fields?: FieldDecl[];
}

/** One member of an interface or object type as written. */
export interface FieldDecl extends Node {
  name: string;
  optional: boolean;
  typeAnn: TypeRef;
}

/** `interface NAME { … }` or `type NAME = { … }`: a struct type (checker fills `type`). */
export interface StructDecl extends Node {
  kind: "StructDecl";
  name: string;
  nameSpan: Span;
  exported: boolean;
  fields: FieldDecl[];
  type?: StructType;
}

/** A construct the DSL does not compile (class, while, arrow function, ...): the checker reports it. */
export interface Unsupported extends Node {
  kind: "Unsupported";
  what: string;
}

// ---------------------------------------------------------------- statements

export type Stmt =
  | VarDecl
  | Assign
  | If
  | Return
  | For
  | ForOf
  | While
  | Switch
  | Jump
  | Labelled
  | Block
  | ExprStmt
  | Unsupported;

export interface VarDecl extends Node {
  kind: "VarDecl";
  mutable: boolean; // let vs const
  name: string;
  nameSpan: Span;
  typeAnn?: TypeRef;
  init?: Expr;
  binding?: Binding; // checker: the local it declares
}

export type AssignOp = "=" | "+=" | "-=" | "*=" | "/=" | "%=" | "&=" | "|=" | "^=" | "<<=" | ">>=" | ">>>=";

/** `target op value`; `x++` is { op: "+=", value: IntLiteral 1 }. target is an Identifier or MemberExpr. */
export interface Assign extends Node {
  kind: "Assign";
  target: Expr;
  op: AssignOp;
  value: Expr;
}

export interface If extends Node {
  kind: "If";
  test: Expr;
  then: Stmt;
  else?: Stmt;
}

export interface Return extends Node {
  kind: "Return";
  value?: Expr;
}

/**
 * `for (let i = init; test; i++ | i += k | i-- ...) body`. The checker requires a constant init and a
 * test that is `i <op> bound` with a constant bound, or an `&&` chain with one such conjunct (the
 * loop's bound), and fills maxTrips; `update` is an Assign on the loop variable.
 */
export interface For extends Node {
  kind: "For";
  init?: VarDecl;
  test?: Expr;
  update?: Assign;
  body: Stmt;
  /** Checker: the body runs at most this many times. */
  maxTrips?: number;
  /** Checker: the variable whose bound gives maxTrips. */
  counter?: Binding;
}

/** `while (test) body`, or `do body while (test)` (isDo). The test needs a counter bound (see For). */
export interface While extends Node {
  kind: "While";
  isDo: boolean;
  test: Expr;
  body: Stmt;
  maxTrips?: number;
  counter?: Binding;
}

/** `switch (test) { case A: … default: … }`: cases are integer constants; clauses fall through. */
export interface Switch extends Node {
  kind: "Switch";
  test: Expr;
  cases: SwitchCase[];
}
export interface SwitchCase extends Node {
  /** Absent for `default:`. */
  test?: Expr;
  body: Stmt[];
}

/** `break [label]` / `continue [label]`. */
export interface Jump extends Node {
  kind: "Jump";
  jump: "break" | "continue";
  label?: string;
  /** Checker: the statement it leaves (break) or goes round again (continue). */
  target?: Stmt;
}

/** `label: body`. */
export interface Labelled extends Node {
  kind: "Labelled";
  label: string;
  body: Stmt;
}

/** `for (const x of array) body`: unrolled, x bound to each element in turn (an array value or a
 * top-level constant array). */
export interface ForOf extends Node {
  kind: "ForOf";
  decl: VarDecl;
  iterable: Expr;
  body: Stmt;
}

export interface Block extends Node {
  kind: "Block";
  body: Stmt[];
}

export interface ExprStmt extends Node {
  kind: "ExprStmt";
  expr: Expr;
}

// ---------------------------------------------------------------- expressions

interface ExprBase extends Node {
  /** Checker: the expression's type (after flow-sensitive narrowing for identifiers). */
  type?: Type;
  /** Checker: value when the expression is a compile-time constant (wrapped to `type`). */
  constValue?: bigint;
}

export type Expr =
  | IntLiteral
  | BoolLiteral
  | NullLiteral
  | StringLiteral
  | TemplateLiteral
  | Identifier
  | MemberExpr
  | CallExpr
  | UnaryExpr
  | BinaryExpr
  | LogicalExpr
  | ConditionalExpr
  | AsExpr
  | NewExpr
  | ObjectLiteral
  | ArrayLiteral
  | IndexExpr
  | UnsupportedExpr;

export interface IntLiteral extends ExprBase {
  kind: "IntLiteral";
  value: bigint;
  bigint: boolean;
  raw: string;
}
export interface BoolLiteral extends ExprBase {
  kind: "BoolLiteral";
  value: boolean;
}
export interface NullLiteral extends ExprBase {
  kind: "NullLiteral";
}
export interface StringLiteral extends ExprBase {
  kind: "StringLiteral";
  value: string;
}
/** `a${x}b${y}c`: quasis.length === exprs.length + 1 (cooked text). */
export interface TemplateLiteral extends ExprBase {
  kind: "TemplateLiteral";
  quasis: string[];
  exprs: Expr[];
}
export interface Identifier extends ExprBase {
  kind: "Identifier";
  name: string;
  binding?: Binding;
}
export interface MemberExpr extends ExprBase {
  kind: "MemberExpr";
  object: Expr;
  property: string;
  propertySpan: Span;
  member?: MemberTarget;
}
export interface CallExpr extends ExprBase {
  kind: "CallExpr";
  fn: Expr;
  typeArgs: TypeRef[];
  args: Expr[];
  callee?: CallTarget;
}

export type UnaryOp = "!" | "-" | "~" | "+" | "typeof" | "void";
export interface UnaryExpr extends ExprBase {
  kind: "UnaryExpr";
  op: UnaryOp;
  operand: Expr;
}

export type BinaryOp =
  | "+"
  | "-"
  | "*"
  | "/"
  | "%"
  | "**"
  | "&"
  | "|"
  | "^"
  | "<<"
  | ">>"
  | ">>>"
  | "=="
  | "!="
  | "==="
  | "!=="
  | "<"
  | "<="
  | ">"
  | ">=";
export interface BinaryExpr extends ExprBase {
  kind: "BinaryExpr";
  op: BinaryOp;
  left: Expr;
  right: Expr;
}

export interface LogicalExpr extends ExprBase {
  kind: "LogicalExpr";
  op: "&&" | "||" | "??";
  left: Expr;
  right: Expr;
}
export interface ConditionalExpr extends ExprBase {
  kind: "ConditionalExpr";
  test: Expr;
  then: Expr;
  else: Expr;
}
export interface AsExpr extends ExprBase {
  kind: "AsExpr";
  expr: Expr;
  typeAnn: TypeRef;
}
/** `new X<...>(...)`: only valid as a MapDecl initialiser (cst-to-ast turns those into MapDecl). */
export interface NewExpr extends ExprBase {
  kind: "NewExpr";
  className: string;
  typeArgs: TypeRef[];
  args: Expr[];
}
/** `{ a: 1, b }` (shorthand b: b): a struct value of the type its context expects. */
export interface ObjectLiteral extends ExprBase {
  kind: "ObjectLiteral";
  props: { name: string; nameSpan: Span; value: Expr }[];
}
/** `[a, b, c]`: a FixedArray value of the type its context expects (or a top-level constant array). */
export interface ArrayLiteral extends ExprBase {
  kind: "ArrayLiteral";
  elements: Expr[];
}
/** `a[i]`: an array element (a constant index is checked against the length; `index` checker-filled). */
export interface IndexExpr extends ExprBase {
  kind: "IndexExpr";
  object: Expr;
  index: Expr;
}
/** Arrow function, spread, ...: reported by the checker. */
export interface UnsupportedExpr extends ExprBase {
  kind: "UnsupportedExpr";
  what: string;
}

// ---------------------------------------------------------------- checker output

export interface CheckedProgram {
  ast: Program;
  /** XDP programs in source order. */
  programs: FunctionDecl[];
  /** Helper functions reachable from programs, callees before callers. */
  functions: FunctionDecl[];
  maps: MapDecl[];
  consts: ConstDecl[];
  /** Global variables (consts with `global`), in declaration order, laid out in their sections. */
  globals: ConstDecl[];
}

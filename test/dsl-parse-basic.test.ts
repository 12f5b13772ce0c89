// Parser: tokens, grammar, CST → AST shapes, spans, ASI, error recovery, build-once.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { parseProgram } from "../compiler/dsl/syntax/parser.js";
import { buildParserValidated, getParser } from "../compiler/dsl/syntax/grammar.js";
import { buildLexerValidated, tokenize, tokenizeWith } from "../compiler/dsl/syntax/lexer.js";
import { readdirSync } from "node:fs";
import type * as A from "../compiler/dsl/ast.js";
import { formatCompact } from "../compiler/diagnostics.js";

const parse = (src: string) => parseProgram(src, "t.ts");
const fn = (src: string, i = 0): A.FunctionDecl =>
  parse(src).ast.items.filter((x): x is A.FunctionDecl => x.kind === "FunctionDecl")[i]!;
const body = (stmts: string): A.Stmt[] => fn(`function f(): void {\n${stmts}\n}`).body.body;
const expr = (e: string): A.Expr => (body(`x = ${e};`)[0] as A.Assign).value;

/** Compact S-expression of an expression, for precedence checks. */
function show(e: A.Expr): string {
  switch (e.kind) {
    case "IntLiteral":
      return `${e.value}${e.bigint ? "n" : ""}`;
    case "Identifier":
      return e.name;
    case "BinaryExpr":
    case "LogicalExpr":
      return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case "UnaryExpr":
      return `(${e.op}${show(e.operand)})`;
    case "AsExpr":
      return `(${show(e.expr)} as ${e.typeAnn.name})`;
    case "MemberExpr":
      return `${show(e.object)}.${e.property}`;
    case "CallExpr":
      return `${show(e.fn)}(${e.args.map(show).join(", ")})`;
    case "ConditionalExpr":
      return `(${show(e.test)} ? ${show(e.then)} : ${show(e.else)})`;
    case "UnsupportedExpr":
      return `<${e.what}>`;
    default:
      return e.kind;
  }
}

describe("parser construction", () => {
  it("builds with Chevrotain's grammar and lexer validations on", () => {
    expect(() => buildParserValidated()).not.toThrow();
    expect(() => buildLexerValidated()).not.toThrow();
  });

  it("builds the process parser once", () => {
    parse("const A = 1;");
    const p = getParser();
    parse("const B = 2;");
    expect(getParser()).toBe(p);
  });
});

describe("tokens", () => {
  it("the optimised lexer (start_chars_hint) matches the unoptimised reference", () => {
    const ref = buildLexerValidated();
    const texts = ["fixtures/dsl-samples", "fixtures/errors"].flatMap((d) =>
      readdirSync(d)
        .filter((f) => f.endsWith(".ts"))
        .map((f) => readFileSync(`${d}/${f}`, "utf8")),
    );
    texts.push(
      "a>>>=b<<=c**=d&&=e||=f??=g!==h?.i...j=>k 0x1Fn 0b1 0o7 .5 1e3 'x' \"y\" @ ~ `t${`u${v}`}w` /* c */ // d\n\u00a0#",
    );
    for (const t of texts) {
      const fast = tokenize(t),
        slow = tokenizeWith(ref, t);
      expect(fast.tokens.map((k) => `${k.tokenType.name}:${k.image}`)).toEqual(
        slow.tokens.map((k) => `${k.tokenType.name}:${k.image}`),
      );
      expect(fast.errors.map((e) => e.offset)).toEqual(slow.errors.map((e) => e.offset));
    }
  });

  it("lexes templates with nested braces and keywords vs identifiers", () => {
    const r = tokenize("info(`a ${ {x: 1}.x } b ${y}`); asyncX as async type typeof");
    expect(r.errors).toEqual([]);
    expect(r.tokens.map((t) => t.tokenType.name)).toEqual([
      "Identifier",
      "LParen",
      "TemplateHead",
      "LCurly",
      "Identifier",
      "Colon",
      "DecLiteral",
      "RCurly",
      "Dot",
      "Identifier",
      "TemplateMiddle",
      "Identifier",
      "TemplateTail",
      "RParen",
      "Semicolon",
      "Identifier",
      "As",
      "Async",
      "Type",
      "Typeof",
    ]);
  });

  it("reports bad characters and unterminated literals with positions", () => {
    const r = parse('const a = 1;\nconst b = #;\nconst s = "abc\n');
    const lines = r.diagnostics.map(formatCompact);
    expect(lines).toContain("t.ts:2:11: error TS1127: Invalid character.");
    expect(lines).toContain("t.ts:3:11: error TS1002: Unterminated string literal.");
    expect(parse("info(`abc").diagnostics.map((d) => d.code)).toContain("TS1160");
  });
});

describe("AST", () => {
  it("imports, maps, constants, functions", () => {
    const { ast, diagnostics } = parse(`import { XdpContext, u32 as U, } from "tsebpf";
export const M = new HashMap<u32, U>(1024);
const K: u32 = 0x10;
function helper(a: u32, b: U): U | null { return a; }
export async function xdp_x(ctx: XdpContext): XdpAction { return XdpAction.Pass; }`);
    expect(diagnostics).toEqual([]);
    const [imp, map, k, h, x] = ast.items as [A.ImportDecl, A.MapDecl, A.ConstDecl, A.FunctionDecl, A.FunctionDecl];
    expect(imp.names.map((n) => `${n.name}:${n.local}`)).toEqual(["XdpContext:XdpContext", "u32:U"]);
    expect(imp.source).toBe("tsebpf");
    expect(map).toMatchObject({ kind: "MapDecl", name: "M", exported: true, mapClass: "HashMap" });
    expect(map.typeArgs.map((t) => t.name)).toEqual(["u32", "U"]);
    expect(map.args.map(show)).toEqual(["1024"]);
    expect(k).toMatchObject({ kind: "ConstDecl", name: "K", exported: false });
    expect(h.params.map((p) => `${p.name}:${p.typeAnn?.name}`)).toEqual(["a:u32", "b:U"]);
    expect(h.returnTypeAnn).toMatchObject({ name: "U", nullable: true });
    expect(x).toMatchObject({ exported: true, isAsync: true, name: "xdp_x" });
    expect(map.nameSpan).toMatchObject({ line: 2, col: 14 });
  });

  it("literals: decimal, hex, binary, octal, separators, bigint, negative", () => {
    expect(show(expr("0xff"))).toBe("255");
    expect(show(expr("0b1010"))).toBe("10");
    expect(show(expr("0o17"))).toBe("15");
    expect(show(expr("1_000_000"))).toBe("1000000");
    expect(show(expr("0xffff_ffff_ffff_ffffn"))).toBe("18446744073709551615n");
    expect(show(expr("-5"))).toBe("-5");
    expect(expr("1.5").kind).toBe("UnsupportedExpr");
    expect(expr("true")).toMatchObject({ kind: "BoolLiteral", value: true });
    expect(expr("null").kind).toBe("NullLiteral");
    expect(expr('"a\\tb"')).toMatchObject({ kind: "StringLiteral", value: "a\tb" });
  });

  it("operator precedence and associativity like TypeScript", () => {
    expect(show(expr("a + b * c"))).toBe("(a + (b * c))");
    expect(show(expr("a - b - c"))).toBe("((a - b) - c)");
    expect(show(expr("a << 2 + 1"))).toBe("(a << (2 + 1))");
    expect(show(expr("a & 0xff === b"))).toBe("(a & (255 === b))");
    expect(show(expr("a || b && c"))).toBe("(a || (b && c))");
    expect(show(expr("2 ** 3 ** 2"))).toBe("(2 ** (3 ** 2))");
    expect(show(expr("a + b as u8"))).toBe("((a + b) as u8)");
    expect(show(expr("(a + b) * c"))).toBe("((a + b) * c)");
    expect(show(expr("!a === -b"))).toBe("((!a) === (-b))");
    expect(show(expr("c ? x + 1 : y"))).toBe("(c ? (x + 1) : y)");
    expect(show(expr("m.get(k)!"))).toBe("<non-null>");
    expect(show(expr("ctx.header(EthHdr, 0)"))).toBe("ctx.header(EthHdr, 0)");
  });

  it("templates keep cooked text and expressions", () => {
    const t = expr("`SRC: ${ipv4(a)}, n=${n}\\n`") as A.TemplateLiteral;
    expect(t.quasis).toEqual(["SRC: ", ", n=", "\n"]);
    expect(t.exprs.map(show)).toEqual(["ipv4(a)", "n"]);
  });

  it("statements: assignment forms, ++ normalised, if/else, for, return", () => {
    const [a, b, c, d, e, f] = body(`x += 2;
y++;
--z;
if (a) return 1; else { return 2; }
for (let i = 0; i < 8; i++) s ^= i;
g(1);`);
    expect(a).toMatchObject({ kind: "Assign", op: "+=", target: { name: "x" } });
    expect(b).toMatchObject({ kind: "Assign", op: "+=", target: { name: "y" }, value: { value: 1n } });
    expect(c).toMatchObject({ kind: "Assign", op: "-=", target: { name: "z" } });
    expect(d).toMatchObject({ kind: "If", then: { kind: "Return" }, else: { kind: "Block" } });
    expect(e).toMatchObject({
      kind: "For",
      init: { kind: "VarDecl", name: "i", mutable: true },
      update: { op: "+=" },
      body: { kind: "Assign", op: "^=" },
    });
    expect(show((e as A.For).test!)).toBe("(i < 8)");
    expect(f).toMatchObject({ kind: "ExprStmt", expr: { kind: "CallExpr" } });
  });

  it("unsupported constructs become nodes for the checker", () => {
    const kinds = body(`while (x) {}
do {} while (x);
class C {}
function g() {}
switch (x) { case 1: break; }
var v = 1;
break;
const f = (a: u32) => a;
const o = { ...a };`).map((s) =>
      s.kind === "Unsupported"
        ? s.what
        : s.kind === "VarDecl" && s.init?.kind === "UnsupportedExpr"
          ? s.init.what
          : s.kind,
    );
    expect(kinds).toEqual([
      "While",
      "While",
      "class",
      "nested-function",
      "Switch",
      "var",
      "VarDecl",
      "Jump",
      "arrow",
      "spread",
    ]);
  });

  it("while, do…while, switch, labels, break and continue", () => {
    const [w, d, sw, l] = body(`while (i < 4) i++;
do { i++; } while (i < 8);
switch (x) { case 1: case 2: y = 1; break; default: y = 2; }
outer: for (let j = 0; j < 2; j++) { continue outer; }`);
    expect(w).toMatchObject({ kind: "While", isDo: false, body: { kind: "Assign" } });
    expect(d).toMatchObject({ kind: "While", isDo: true, body: { kind: "Block" } });
    expect(sw).toMatchObject({
      kind: "Switch",
      cases: [
        { test: { value: 1n }, body: [] },
        { test: { value: 2n }, body: [{ kind: "Assign" }, { kind: "Jump", jump: "break" }] },
        { test: undefined, body: [{ kind: "Assign" }] },
      ],
    });
    expect(l).toMatchObject({
      kind: "Labelled",
      label: "outer",
      body: { kind: "For", body: { body: [{ kind: "Jump", jump: "continue", label: "outer" }] } },
    });
  });
});

describe("automatic semicolon insertion and syntax errors", () => {
  it("accepts TypeScript without semicolons", () => {
    const r = parse(`const a = 1
let b = a
b++
function f(): u32 {
  return b
}`);
    expect(r.diagnostics).toEqual([]);
  });

  it("return followed by a newline returns nothing", () => {
    const [r] = body("return\n5");
    expect(r).toMatchObject({ kind: "Return", value: undefined });
  });

  it("reports a missing ';' between statements on one line", () => {
    expect(parse("const a = 1 const b = 2;").diagnostics.map(formatCompact)).toEqual([
      "t.ts:1:13: error TS1005: ';' expected.",
    ]);
  });

  it("recovers and reports every error in the file", () => {
    const r = parse(`function f(): void {
  const a = (1 + 2;
  g(;
}
function h(: void {}
const ok = 1;
const = 3;`);
    const lines = r.diagnostics.map((d) => `${d.span!.line}:${d.span!.col} ${d.code}`);
    expect(lines).toEqual(["2:19 TS1005", "3:5 TS1005", "5:12 TS1005", "7:7 TS1003"]);
    expect(r.ast.items.some((i) => i.kind === "ConstDecl" && i.name === "ok")).toBe(true);
    expect(r.ast.items.filter((i) => i.kind === "FunctionDecl").map((f) => (f as A.FunctionDecl).name)).toEqual([
      "f",
      "h",
    ]);
  });

  it("the checker does not pile on after syntax errors", async () => {
    const { checkProgram } = await import("../compiler/dsl/check/checker.js");
    for (const src of ['import * as t from "tsebpf";', "function f(a: u32 = 1): void {}", "const = 3;\nconst y = (;"]) {
      const p = parse(src);
      expect(p.diagnostics.length).toBeGreaterThan(0);
      expect(p.ast.syntaxErrors).toBe(p.diagnostics.length);
      expect(
        checkProgram(p.ast)
          .diagnostics.map((d) => d.code)
          .filter((c) => c === "TSB9017" || c === "TSB9001"),
      ).toEqual([]);
    }
  });

  it("an error at end of file points at the end", () => {
    const r = parse("function f(): void {\n  g(1);\n");
    expect(r.diagnostics.map(formatCompact)).toEqual(["t.ts:3:1: error TS1005: '}' expected."]);
  });

  it("parses the samples without diagnostics", () => {
    for (const f of ["hello", "firewall", "kitchen-sink"]) {
      const path = `fixtures/dsl-samples/${f}.ts`;
      expect(parseProgram(readFileSync(path, "utf8"), path).diagnostics.map(formatCompact)).toEqual([]);
    }
  });
});

describe("trailing commas", () => {
  it("are accepted in call arguments and array literals, as in TypeScript", () => {
    expect(show(expr("f(a, b,)"))).toBe("f(a, b)");
    expect(show(expr("f(a,\n)"))).toBe("f(a)");
    const arr = expr("[1, 2,]");
    expect(arr.kind).toBe("ArrayLiteral");
    expect((arr as A.ArrayLiteral).elements.length).toBe(2);
    expect(parse("function f(): void {\n  x = g(a, b,);\n}").diagnostics.map(formatCompact)).toEqual([]);
  });
  it("alone or doubled are still errors", () => {
    expect(parse("function f(): void {\n  x = g(,);\n}").diagnostics.length).toBeGreaterThan(0);
    expect(parse("function f(): void {\n  x = g(a,,);\n}").diagnostics.length).toBeGreaterThan(0);
    expect(parse("function f(): void {\n  x = [1,,];\n}").diagnostics.length).toBeGreaterThan(0);
  });
});

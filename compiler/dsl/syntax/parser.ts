// Parse entry: takes DSL source text, produces the AST (ast.ts) and syntax diagnostics (TS1xxx),
// via the Chevrotain lexer (lexer.ts), the recovering CstParser (grammar.ts) and cst-to-ast.ts.
// Syntax errors are reported (up to DslParser.MAX_ERRORS), each with a span; never throws on bad
// input. Sources over MAX_SOURCE_CHARS are refused.
import type { CstNode, ILexingError, IRecognitionException, IToken } from "chevrotain";
import { inSourceOrder, type Diagnostic } from "../../diagnostics.js";
import type { Span } from "../../span.js";
import type { Program } from "../ast.js";
import { tokenize } from "./lexer.js";
import { getParser, type DslParser } from "./grammar.js";
import { CstToAst } from "./cst-to-ast.js";
import { diag } from "../codes.js";

export interface ParseResult {
  ast: Program;
  diagnostics: Diagnostic[];
}

/** Larger sources are refused before lexing (compile time grows with size; see README Limits). */
export const MAX_SOURCE_CHARS = 1 << 20;

export function parseProgram(text: string, file: string): ParseResult {
  if (text.length > MAX_SOURCE_CHARS) {
    const ast: Program = { kind: "Program", file, items: [], span: { file, line: 1, col: 1, offset: 0, length: 0 } };
    const mb = (n: number) => `${(n / (1 << 20)).toFixed(1)} MB`;
    return { ast, diagnostics: [diag("unsupported", `The source is ${mb(text.length)}; the compiler accepts at most ${mb(MAX_SOURCE_CHARS)}.`, ast.span)] };
  }
  try {
    return parse(text, file);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    // nesting deeper than the JavaScript stack (thousands of parentheses): one clear error
    const ast: Program = { kind: "Program", file, items: [], span: { file, line: 1, col: 1, offset: 0, length: text.length } };
    return { ast, diagnostics: [diag("unsupported", "The program is nested too deeply to compile.", { file, line: 1, col: 1, offset: 0, length: 0 })] };
  }
}

function parse(text: string, file: string): ParseResult {
  const conv = new CstToAst(file, text);
  const lexed = tokenize(text);
  const diagnostics: Diagnostic[] = lexed.errors.map((e) => lexError(e, text, file));
  let parser = getParser();
  let cst = run(parser, lexed.tokens);
  if (parser.errors.length) {
    parser.input = [];
    parser = getParser(true);
    cst = run(parser, lexed.tokens);
  }
  for (const e of parser.errors) diagnostics.push(parseError(e, conv));
  for (const s of parser.semiErrors) diagnostics.push(diag("expected", "';' expected.", conv.tokenSpan(s.token)));
  const ast = conv.program(cst);
  parser.input = [];
  const unique = dedupe(diagnostics);
  ast.syntaxErrors = unique.length;
  return { ast, diagnostics: unique };
}

function run(parser: DslParser, tokens: IToken[]): CstNode {
  parser.semiErrors = [];
  parser.input = tokens;
  return parser.program();
}

function lexError(e: ILexingError, text: string, file: string): Diagnostic {
  const span: Span = { file, line: e.line ?? 1, col: e.column ?? 1, offset: e.offset, length: Math.max(1, e.length) };
  const c = text[e.offset];
  if (c === '"' || c === "'") return diag("unterminatedString", "Unterminated string literal.", span);
  if (c === "`" || c === "}") return diag("unterminatedTemplate", "Unterminated template literal.", span);
  return diag("invalidCharacter", "Invalid character.", { ...span, length: 1 });
}

const TOKEN_TEXT: Record<string, string> = {
  Semicolon: ";", RParen: ")", LParen: "(", RCurly: "}", LCurly: "{", RBracket: "]", LBracket: "[", Colon: ":",
  Comma: ",", Equals: "=", Greater: ">", Less: "<", Arrow: "=>", Dot: ".", From: "from", While: "while",
  StringLit: "string literal", TemplateTail: "}`", Function: "function",
};

function parseError(e: IRecognitionException, conv: CstToAst): Diagnostic {
  const span = errorSpan(e, conv);
  const expected = /Expecting token of type --> (\w+) <--/.exec(e.message)?.[1];
  if (e.name === "MismatchedTokenException" && expected) {
    if (expected === "Identifier" || expected === "IdentifierName") return diag("identifierExpected", "Identifier expected.", span);
    if (expected === "EOF") return diag("declarationExpected", "Declaration or statement expected.", span);
    return diag("expected", `'${TOKEN_TEXT[expected] ?? expected}' expected.`, span);
  }
  if (e.name === "NotAllInputParsedException") return diag("declarationExpected", "Declaration or statement expected.", span);
  const rules = e.context?.ruleStack ?? [];
  const last = rules[rules.length - 1] ?? "";
  if (/^(typeRef|typeAtom|typeArgs)$/.test(last)) return diag("expected", "Type expected.", span);
  if (/^(varDeclList|importSpec|param|paramList)$/.test(last)) return diag("identifierExpected", "Identifier expected.", span);
  if (last === "statement" || last === "topLevel" || last === "program" || last === "exportDecl")
    return diag("declarationExpected", "Declaration or statement expected.", span);
  return diag("expressionExpected", "Expression expected.", span);
}

function errorSpan(e: IRecognitionException, conv: CstToAst): Span {
  const t: IToken = e.token;
  if (t && !Number.isNaN(t.startOffset) && t.tokenType?.name !== "EOF") return conv.tokenSpan(t);
  return conv.endSpan();
}

/** One diagnostic per position (recovery can report the same spot twice), in source order. */
function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return inSourceOrder(ds.filter((d) => {
    const k = `${d.span?.line}:${d.span?.col}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  }));
}

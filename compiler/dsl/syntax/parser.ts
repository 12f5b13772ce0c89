// Parse entry: takes DSL source text, produces the AST (ast.ts) and syntax diagnostics (TS1xxx),
// via the Chevrotain lexer (lexer.ts), the recovering CstParser (grammar.ts) and cst-to-ast.ts.
// Syntax errors are reported (up to DslParser.MAX_ERRORS), each with a span, made from the
// exception's type, token, expected token type and rule stack (never from Chevrotain's message
// text); never throws on bad input. Sources over MAX_SOURCE_CHARS are refused.
import type { ILexingError, IRecognitionException, IToken, TokenType } from "chevrotain";
import { inSourceOrder, type Diagnostic } from "../../diagnostics.js";
import type { Span } from "../../span.js";
import type { Program } from "../ast.js";
import * as T from "./lexer.js";
import { chevrotain } from "./chevrotain.js";
import { getParser } from "./grammar.js";
import { CstContext } from "./cst-context.js";
import { toProgram } from "./cst-to-ast.js";
import { diag } from "../codes.js";

const { EOF, MismatchedTokenException, NotAllInputParsedException } = chevrotain;

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
    return {
      ast,
      diagnostics: [
        diag(
          "unsupported",
          `The source is ${mb(text.length)}; the compiler accepts at most ${mb(MAX_SOURCE_CHARS)}.`,
          ast.span,
        ),
      ],
    };
  }
  try {
    return parse(text, file);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    // nesting deeper than the JavaScript stack (thousands of parentheses): one clear error
    const ast: Program = {
      kind: "Program",
      file,
      items: [],
      span: { file, line: 1, col: 1, offset: 0, length: text.length },
    };
    return {
      ast,
      diagnostics: [
        diag("unsupported", "The program is nested too deeply to compile.", {
          file,
          line: 1,
          col: 1,
          offset: 0,
          length: 0,
        }),
      ],
    };
  }
}

function parse(text: string, file: string): ParseResult {
  const cx = new CstContext(file, text);
  const lexed = T.tokenize(text);
  const diagnostics: Diagnostic[] = lexed.errors.map((e) => lexError(e, text, file));
  let parser = getParser();
  let cst = parser.parse(lexed.tokens);
  if (parser.errors.length) {
    parser.input = [];
    parser = getParser(true);
    cst = parser.parse(lexed.tokens);
  }
  const expected = parser.expectedTokens();
  for (const e of parser.errors) diagnostics.push(parseError(e, expected.get(e), cx));
  for (const s of parser.semiErrors) diagnostics.push(diag("expected", "';' expected.", cx.tokenSpan(s.token)));
  const ast = toProgram(cx, cst);
  parser.input = [];
  const unique = dedupe(diagnostics);
  ast.syntaxErrors = unique.length;
  return { ast, diagnostics: unique };
}

function lexError(e: ILexingError, text: string, file: string): Diagnostic {
  const span: Span = { file, line: e.line ?? 1, col: e.column ?? 1, offset: e.offset, length: Math.max(1, e.length) };
  const c = text[e.offset];
  if (c === '"' || c === "'") return diag("unterminatedString", "Unterminated string literal.", span);
  if (c === "`" || c === "}") return diag("unterminatedTemplate", "Unterminated template literal.", span);
  return diag("invalidCharacter", "Invalid character.", { ...span, length: 1 });
}

/** How a diagnostic names an expected token. */
const TOKEN_TEXT = new Map<TokenType, string>([
  [T.Semicolon, ";"],
  [T.RParen, ")"],
  [T.LParen, "("],
  [T.RCurly, "}"],
  [T.LCurly, "{"],
  [T.RBracket, "]"],
  [T.LBracket, "["],
  [T.Colon, ":"],
  [T.Comma, ","],
  [T.Equals, "="],
  [T.Greater, ">"],
  [T.Less, "<"],
  [T.Arrow, "=>"],
  [T.Dot, "."],
  [T.From, "from"],
  [T.While, "while"],
  [T.StringLit, "string literal"],
  [T.TemplateTail, "}`"],
  [T.Function, "function"],
]);
const IDENTIFIER = "Identifier expected.";
const DECLARATION = "Declaration or statement expected.";
const TYPE_RULES = new Set(["typeRef", "typeAtom", "typeArgs"]);
const NAME_RULES = new Set(["varDeclList", "importSpec", "param", "paramList"]);
const DECLARATION_RULES = new Set(["statement", "topLevel", "program", "exportDecl"]);

/** `expected`: the token type a MismatchedTokenException expected (DslParser.expectedTokens). */
function parseError(e: IRecognitionException, expected: TokenType | undefined, cx: CstContext): Diagnostic {
  const span = errorSpan(e, cx);
  if (e instanceof MismatchedTokenException && expected) {
    if (expected === T.Identifier || expected === T.IdentifierName) return diag("identifierExpected", IDENTIFIER, span);
    if (expected === EOF) return diag("declarationExpected", DECLARATION, span);
    return diag("expected", `'${TOKEN_TEXT.get(expected) ?? expected.name}' expected.`, span);
  }
  if (e instanceof NotAllInputParsedException) return diag("declarationExpected", DECLARATION, span);
  const rules = e.context?.ruleStack ?? [];
  const last = rules[rules.length - 1] ?? "";
  if (TYPE_RULES.has(last)) return diag("expected", "Type expected.", span);
  if (NAME_RULES.has(last)) return diag("identifierExpected", IDENTIFIER, span);
  if (DECLARATION_RULES.has(last)) return diag("declarationExpected", DECLARATION, span);
  return diag("expressionExpected", "Expression expected.", span);
}

function errorSpan(e: IRecognitionException, cx: CstContext): Span {
  const t: IToken = e.token;
  if (t && !Number.isNaN(t.startOffset) && t.tokenType !== EOF) return cx.tokenSpan(t);
  return cx.endSpan();
}

/** One diagnostic per position (recovery can report the same spot twice), in source order. */
function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return inSourceOrder(
    ds.filter((d) => {
      const k = `${d.span?.line}:${d.span?.col}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    }),
  );
}

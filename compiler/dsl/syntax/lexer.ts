// DSL tokens: takes source text, produces Chevrotain tokens (and lexing errors). The lexer is built
// on first use (chevrotain.ts has how, and why).
import type * as Chev from "chevrotain";
import { chevrotain, lexerConfig, onFirstUse } from "./chevrotain.js";

const { createToken, Lexer } = chevrotain;
export type TokenType = Chev.TokenType;
export type IToken = Chev.IToken;

// ---- template literal state: a stack of `{` depths, one per open `${`. Reset per tokenize.
let tplStack: number[] = [];

function templateText(text: string, i: number): { end: number; head: boolean } | null {
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === "\\") i++;
    else if (c === "`") return { end: i + 1, head: false };
    else if (c === "$" && text[i + 1] === "{") return { end: i + 2, head: true };
  }
  return null;
}

function matchTemplate(start: "`" | "}", wantHead: boolean) {
  return (text: string, offset: number): RegExpExecArray | null => {
    if (text[offset] !== start) return null;
    if (start === "}" && (tplStack.length === 0 || tplStack[tplStack.length - 1] !== 0)) return null;
    const r = templateText(text, offset + 1);
    if (!r || r.head !== wantHead) return null;
    if (start === "}") tplStack.pop();
    if (r.head) tplStack.push(0);
    const m = [text.slice(offset, r.end)] as unknown as RegExpExecArray;
    return m;
  };
}

function matchBrace(open: boolean) {
  return (text: string, offset: number): RegExpExecArray | null => {
    if (text[offset] !== (open ? "{" : "}")) return null;
    if (tplStack.length) tplStack[tplStack.length - 1] += open ? 1 : -1;
    return [open ? "{" : "}"] as unknown as RegExpExecArray;
  };
}

/** Token categories. */
export const IdentifierName = createToken({ name: "IdentifierName", pattern: Lexer.NA });
export const NotBrace = createToken({ name: "NotBrace", pattern: Lexer.NA });
export const BinaryOperator = createToken({ name: "BinaryOperator", pattern: Lexer.NA });
export const AssignOperator = createToken({ name: "AssignOperator", pattern: Lexer.NA });
export const NumberLiteral = createToken({ name: "NumberLiteral", pattern: Lexer.NA });

// Every token gives start_chars_hint and line_breaks, so building the lexer never has to analyse
// its regular expressions (that analysis was most of the lexer's start-up time).
const LETTERS = "abcdefghijklmnopqrstuvwxyz";
const IDENT_START = [...LETTERS, ...LETTERS.toUpperCase(), "_", "$"];
export const Identifier = createToken({
  name: "Identifier",
  pattern: /[A-Za-z_$][A-Za-z0-9_$]*/,
  start_chars_hint: IDENT_START,
  line_breaks: false,
  categories: [IdentifierName, NotBrace],
});

const kw = (word: string, extra: TokenType[] = []): TokenType =>
  createToken({
    name: word[0]!.toUpperCase() + word.slice(1),
    pattern: new RegExp(word),
    start_chars_hint: [word[0]!],
    line_breaks: false,
    longer_alt: Identifier,
    categories: [IdentifierName, NotBrace, ...extra],
  });
/** A contextual keyword (TypeScript accepts it as a name too: `const type = icmp.type`). */
const contextual = (word: string): TokenType => kw(word, [Identifier]);

export const Import = kw("import"),
  From = contextual("from"),
  Export = kw("export"),
  Const = kw("const");
export const Let = kw("let"),
  Var = kw("var"),
  Function = kw("function"),
  Return = kw("return");
export const If = kw("if"),
  Else = kw("else"),
  For = kw("for"),
  While = kw("while"),
  Do = kw("do");
export const New = kw("new"),
  True = kw("true"),
  False = kw("false"),
  Null = kw("null"),
  As = contextual("as");
export const Class = kw("class"),
  Async = contextual("async"),
  Await = kw("await"),
  Typeof = kw("typeof");
export const Void = kw("void"),
  Break = kw("break"),
  Continue = kw("continue"),
  Switch = kw("switch"),
  Case = kw("case"),
  Default = kw("default");
export const Try = kw("try"),
  Throw = kw("throw"),
  Interface = kw("interface"),
  Enum = kw("enum");
export const This = kw("this"),
  Type = contextual("type");
const KEYWORDS = [
  Import,
  From,
  Export,
  Const,
  Let,
  Var,
  Function,
  Return,
  If,
  Else,
  For,
  While,
  Do,
  New,
  True,
  False,
  Null,
  As,
  Class,
  Async,
  Await,
  Typeof,
  Void,
  Break,
  Continue,
  Switch,
  Case,
  Default,
  Try,
  Throw,
  Interface,
  Enum,
  This,
  Type,
].sort((a, b) => b.name.length - a.name.length); // longest first: "async" before "as"

/** A token that cannot span lines; `starts`: every character a match can begin with. */
const punct = (name: string, pattern: RegExp, starts: string, categories: TokenType[] = []): TokenType =>
  createToken({
    name,
    pattern,
    start_chars_hint: [...starts],
    line_breaks: false,
    categories: [NotBrace, ...categories],
  });

export const Arrow = punct("Arrow", /=>/, "=");
export const Ellipsis = punct("Ellipsis", /\.\.\./, ".");
export const AssignOp = punct("AssignOp", /(?:>>>|<<|>>|\*\*|&&|\|\||\?\?|[+\-*/%&|^])=/, "><*&|?+-/%^", [
  AssignOperator,
]);
export const EqualityOp = punct("EqualityOp", /[=!]==?/, "=!", [BinaryOperator]);
export const Less = punct("Less", /</, "<", [BinaryOperator]);
export const Greater = punct("Greater", />/, ">", [BinaryOperator]);
export const OtherBinaryOp = punct("OtherBinaryOp", /<=|>=|<<|>>>|>>|\*\*|&&|\|\||\?\?|[*/%&|^]/, "<>*&|?/%^", [
  BinaryOperator,
]);
export const PlusPlus = punct("PlusPlus", /\+\+/, "+");
export const MinusMinus = punct("MinusMinus", /--/, "-");
export const Plus = punct("Plus", /\+/, "+", [BinaryOperator]);
export const Minus = punct("Minus", /-/, "-", [BinaryOperator]);
export const QuestionDot = punct("QuestionDot", /\?\.(?![0-9])/, "?");
export const Question = punct("Question", /\?/, "?");
export const Bang = punct("Bang", /!/, "!");
export const Tilde = punct("Tilde", /~/, "~");
export const Equals = punct("Equals", /=/, "=", [AssignOperator]);
export const Colon = punct("Colon", /:/, ":");
export const Semicolon = punct("Semicolon", /;/, ";");
export const Comma = punct("Comma", /,/, ",");
export const Dot = punct("Dot", /\./, ".");
export const LParen = punct("LParen", /\(/, "(");
export const RParen = punct("RParen", /\)/, ")");
export const LBracket = punct("LBracket", /\[/, "[");
export const RBracket = punct("RBracket", /\]/, "]");
export const At = punct("At", /@/, "@");
export const LCurly = createToken({
  name: "LCurly",
  pattern: { exec: matchBrace(true) },
  start_chars_hint: ["{"],
  line_breaks: false,
});
export const RCurly = createToken({
  name: "RCurly",
  pattern: { exec: matchBrace(false) },
  start_chars_hint: ["}"],
  line_breaks: false,
});

export const HexLiteral = punct("HexLiteral", /0[xX][0-9a-fA-F_]+n?/, "0", [NumberLiteral]);
export const BinLiteral = punct("BinLiteral", /0[bB][01_]+n?/, "0", [NumberLiteral]);
export const OctLiteral = punct("OctLiteral", /0[oO][0-7_]+n?/, "0", [NumberLiteral]);
export const DecLiteral = punct("DecLiteral", /(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?n?/, "0123456789.", [
  NumberLiteral,
]);
export const StringLit = punct("StringLit", /"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*'/, "\"'");
const tpl = (name: string, start: "`" | "}", head: boolean): TokenType =>
  createToken({
    name,
    pattern: { exec: matchTemplate(start, head) },
    start_chars_hint: [start],
    line_breaks: true,
    categories: [NotBrace],
  });
export const TemplateNoSub = tpl("TemplateNoSub", "`", false);
export const TemplateHead = tpl("TemplateHead", "`", true);
export const TemplateMiddle = tpl("TemplateMiddle", "}", true);
export const TemplateTail = tpl("TemplateTail", "}", false);

// Line terminators are TypeScript's: \n, \r\n, \r, U+2028, U+2029 (line:col count each as one).
const WhiteSpace = createToken({
  name: "WhiteSpace",
  pattern: /[ \t\r\n\f\v\u00a0\ufeff\u2028\u2029]+/,
  start_chars_hint: [..." \t\r\n\f\v\u00a0\ufeff\u2028\u2029"],
  group: Lexer.SKIPPED,
  line_breaks: true,
});
const LineComment = createToken({
  name: "LineComment",
  pattern: /\/\/[^\n\r\u2028\u2029]*/,
  start_chars_hint: ["/"],
  line_breaks: false,
  group: Lexer.SKIPPED,
});
const BlockComment = createToken({
  name: "BlockComment",
  pattern: /\/\*[\s\S]*?\*\//,
  start_chars_hint: ["/"],
  group: Lexer.SKIPPED,
  line_breaks: true,
});

/** In match order. */
export const allTokens: TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  TemplateNoSub,
  TemplateHead,
  TemplateMiddle,
  TemplateTail,
  LCurly,
  RCurly,
  Arrow,
  Ellipsis,
  AssignOp,
  EqualityOp,
  OtherBinaryOp,
  Less,
  Greater,
  PlusPlus,
  MinusMinus,
  Plus,
  Minus,
  QuestionDot,
  Question,
  Bang,
  Tilde,
  Equals,
  Colon,
  Semicolon,
  Comma,
  HexLiteral,
  BinLiteral,
  OctLiteral,
  DecLiteral,
  Dot,
  LParen,
  RParen,
  LBracket,
  RBracket,
  At,
  StringLit,
  ...KEYWORDS,
  Identifier,
  IdentifierName,
  NotBrace,
  BinaryOperator,
  AssignOperator,
  NumberLiteral,
];

const lexer = onFirstUse(() => new Lexer(allTokens, lexerConfig(false)));

export function tokenize(text: string): Chev.ILexingResult {
  return tokenizeWith(lexer(), text);
}

/** A lexer built with Chevrotain's validations on and without first-character optimisations:
 * the reference the tests compare tokenize() against (it checks every start_chars_hint). */
export function buildLexerValidated(): Chev.Lexer {
  return new Lexer(allTokens, lexerConfig(true));
}

export function tokenizeWith(l: Chev.Lexer, text: string): Chev.ILexingResult {
  tplStack = [];
  return l.tokenize(text);
}

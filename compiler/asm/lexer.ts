// Hand-written tokenizer for BPF assembly (LLVM syntax, also used for instruction templates).
// Takes source text; produces statements (a token list per `;`- or newline-separated statement)
// with line/column positions. Comments: `#`, `//`, `/* … */`. A sign directly before a number is
// folded into the number token (`r1 - 2`, `goto +3`, `+= -1`).

export type TokKind = "reg" | "num" | "ident" | "punct" | "str" | "ph";

export interface Token {
  kind: TokKind;
  text: string;
  line: number; // 1-based
  col: number; // 1-based
  offset: number;
  /** num: value; reg: register number. */
  value?: bigint;
  reg?: number;
  /** reg: a 32-bit wN register. */
  w?: boolean;
  /** num: written with an explicit + or - sign. */
  signed?: boolean;
}

export interface Statement {
  tokens: Token[];
  line: number;
  /** Set when lexing this statement reported an error. */
  lexError?: boolean;
}

export interface LexError {
  message: string;
  line: number;
  col: number;
  offset: number;
}

const PUNCTS = [
  "s>>=",
  "<<=",
  ">>=",
  "s>=",
  "s<=",
  "s/=",
  "s%=",
  "==",
  "!=",
  ">=",
  "<=",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "|=",
  "&=",
  "^=",
  "<<",
  ">>",
  "s>",
  "s<",
  "=",
  "+",
  "-",
  "*",
  "/",
  "%",
  "|",
  "&",
  "^",
  "<",
  ">",
  "(",
  ")",
  "[",
  "]",
  ",",
  ":",
  "@",
  "!",
  "~",
  "{",
  "}",
];

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 36;
}
function isIdentChar(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

const REG_NAMES = ["r", "w"].map((p) => Array.from({ length: 11 }, (_, k) => p + k));
/** BigInts of small numbers, shared (most immediates and offsets are small). */
const SMALL = Array.from({ length: 1024 }, (_, k) => BigInt(k));
const NEG_SMALL = SMALL.map((v) => -v);

/** The register number of `r0`..`r10` / `w0`..`w10` at text[start, end), or -1. */
function regNumber(text: string, start: number, end: number): number {
  const c = text.charCodeAt(start);
  if (c !== 114 && c !== 119) return -1; // r w
  const d = text.charCodeAt(start + 1);
  if (end - start === 2) return isDigit(d) ? d - 48 : -1;
  return end - start === 3 && d === 49 && text.charCodeAt(start + 2) === 48 ? 10 : -1; // 10
}

function tok(
  kind: TokKind,
  text: string,
  line: number,
  col: number,
  offset: number,
  value?: bigint,
  signed = false,
): Token {
  // Every token has the same shape (keeps property access monomorphic on big inputs).
  return { kind, text, line, col, offset, value, reg: undefined, w: undefined, signed };
}

/** Tokenize all of `text` into statements (convenient for small inputs and templates). */
export function lex(text: string, opts: LexOptions = {}): { statements: Statement[]; errors: LexError[] } {
  const statements: Statement[] = [];
  const errors = lexEach(text, (s) => void statements.push(s), opts);
  return { statements, errors };
}

export interface LexOptions {
  placeholders?: boolean;
  hashComments?: boolean;
  /**
   * Called where a statement may start (text[start]); returning the end of the line (its newline,
   * or the text's end) skips the rest of the line, -1 lexes it (the assembler replays lines it
   * has seen, see assemble.ts).
   */
  replay?: (start: number) => number;
}

/** Tokenize `text`, handing each statement to `onStatement` as soon as it ends. */
export function lexEach(text: string, onStatement: (s: Statement) => void, opts: LexOptions = {}): LexError[] {
  const errors: LexError[] = [];
  const hash = opts.hashComments !== false;
  let tokens: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const n = text.length;
  const replay = opts.replay;
  let errorsBefore = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      if (tokens.length) emit(onStatement, tokens, errors.length > errorsBefore), (tokens = []);
      errorsBefore = errors.length;
      line++;
      i++;
      lineStart = i;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
      i++;
      continue;
    }
    if (replay !== undefined && tokens.length === 0 && errors.length === errorsBefore) {
      const end = replay(i);
      if (end >= 0) {
        i = end;
        continue;
      }
    }
    const col = i - lineStart + 1;
    if (c === 59) {
      // ;
      if (tokens.length) emit(onStatement, tokens, errors.length > errorsBefore), (tokens = []);
      errorsBefore = errors.length;
      i++;
      continue;
    }
    if ((c === 35 && hash) || (c === 47 && text.charCodeAt(i + 1) === 47)) {
      // # or //
      while (i < n && text.charCodeAt(i) !== 10) i++;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 42) {
      // /* */
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? n : end + 2;
      if (end < 0) errors.push({ message: "unterminated comment", line, col, offset: i });
      for (let k = i; k < stop; k++)
        if (text.charCodeAt(k) === 10) {
          line++;
          lineStart = k + 1;
        }
      i = stop;
      continue;
    }
    const start = i;
    if (opts.placeholders && c === 37 && isIdentStart(text.charCodeAt(i + 1))) {
      // %name
      i++;
      while (i < n && isIdentChar(text.charCodeAt(i))) i++;
      tokens.push(tok("ph", text.slice(start, i), line, col, start));
      continue;
    }
    if (c === 34) {
      // "string"
      const r = lexString(text, i);
      if (r.error) errors.push({ message: r.error, line, col, offset: i });
      tokens.push(tok("str", r.value, line, col, start));
      i = r.end;
      continue;
    }
    if (isDigit(c) || ((c === 43 || c === 45) && signedNumberAhead(text, i))) {
      let signed = false,
        neg = false;
      if (c === 43 || c === 45) {
        signed = true;
        neg = c === 45;
        i++;
        while (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9) i++;
      }
      const ns = i;
      let dec = 0,
        plain = true; // plain: decimal digits only (value in `dec`)
      for (let d; i < n && isIdentChar((d = text.charCodeAt(i))); i++) {
        if (plain && isDigit(d)) dec = dec * 10 + (d - 48);
        else plain = false;
      }
      if (plain && i - ns < 16 && (i - ns === 1 || text.charCodeAt(ns) !== 48)) {
        tokens.push(
          tok(
            "num",
            text.slice(start, i),
            line,
            col,
            start,
            dec < SMALL.length ? (neg ? NEG_SMALL : SMALL)[dec] : BigInt(neg ? -dec : dec),
            signed,
          ),
        );
        continue;
      }
      const v = parseNumber(text.slice(ns, i));
      if (v === undefined)
        errors.push({ message: `invalid number '${text.slice(ns, i)}'`, line, col: ns - lineStart + 1, offset: ns });
      tokens.push(tok("num", text.slice(start, i), line, col, start, neg ? -(v ?? 0n) : (v ?? 0n), signed));
      continue;
    }
    if (c === 115 /* s */ && !isIdentChar(text.charCodeAt(i + 1))) {
      const p = matchPunct(text, i);
      if (p && p.startsWith("s")) {
        tokens.push(tok("punct", p, line, col, start));
        i += p.length;
        continue;
      }
    }
    if (isIdentStart(c)) {
      while (i < n && isIdentChar(text.charCodeAt(i))) i++;
      const reg = regNumber(text, start, i);
      const t = tok(
        reg < 0 ? "ident" : "reg",
        reg < 0 ? text.slice(start, i) : REG_NAMES[c === 119 ? 1 : 0][reg],
        line,
        col,
        start,
      );
      if (reg >= 0) {
        t.reg = reg;
        t.w = c === 119;
      }
      tokens.push(t);
      continue;
    }
    const p = matchPunct(text, i);
    if (p) {
      tokens.push(tok("punct", p, line, col, start));
      i += p.length;
      continue;
    }
    errors.push({ message: `unexpected character '${text[i]}'`, line, col, offset: i });
    i++;
  }
  if (tokens.length) emit(onStatement, tokens, errors.length > errorsBefore);
  return errors;
}

function emit(onStatement: (s: Statement) => void, tokens: Token[], lexError: boolean): void {
  onStatement(lexError ? { tokens, line: tokens[0].line, lexError: true } : { tokens, line: tokens[0].line });
}

function signedNumberAhead(text: string, i: number): boolean {
  let k = i + 1;
  while (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9) k++;
  return isDigit(text.charCodeAt(k));
}

const PUNCT_BY_CHAR: (string[] | undefined)[] = [];
for (const p of PUNCTS) (PUNCT_BY_CHAR[p.charCodeAt(0)] ??= []).push(p);

function matchPunct(text: string, i: number): string | undefined {
  const list = PUNCT_BY_CHAR[text.charCodeAt(i)];
  if (list)
    for (let k = 0; k < list.length; k++) if (list[k].length === 1 || text.startsWith(list[k], i)) return list[k];
  return undefined;
}

export function parseNumber(s: string): bigint | undefined {
  if (s.length < 16 && isAllDigits(s) && (s.length === 1 || s[0] !== "0")) return BigInt(Number(s));
  s = s.replace(/(?:[uU]?(?:ll|LL|l|L)?|(?:ll|LL|l|L)[uU])$/, ""); // C integer suffixes, ignored as llvm-mc does
  try {
    if (/^0[xX][0-9a-fA-F]+$/.test(s) || /^0[bB][01]+$/.test(s)) return BigInt(s);
    if (/^0[0-7]+$/.test(s)) return BigInt("0o" + s.slice(1));
    if (/^[0-9]+$/.test(s)) return BigInt(s);
  } catch {
    /* fall through */
  }
  return undefined;
}

function lexString(text: string, i: number): { value: string; end: number; error?: string } {
  let out = "";
  let k = i + 1;
  while (k < text.length) {
    const ch = text[k];
    if (ch === '"') return { value: out, end: k + 1 };
    if (ch === "\n") break;
    if (ch === "\\") {
      const e = text[k + 1];
      const map: Record<string, string> = {
        n: "\n",
        t: "\t",
        r: "\r",
        "0": "\0",
        "\\": "\\",
        '"': '"',
        b: "\b",
        f: "\f",
      };
      if (/[0-7]/.test(e)) {
        const m = /^[0-7]{1,3}/.exec(text.slice(k + 1, k + 4))![0];
        out += String.fromCharCode(parseInt(m, 8));
        k += 1 + m.length;
        continue;
      }
      if (e === "x") {
        const m = /^[0-9a-fA-F]{1,2}/.exec(text.slice(k + 2, k + 4));
        if (m) {
          out += String.fromCharCode(parseInt(m[0], 16));
          k += 2 + m[0].length;
          continue;
        }
      }
      out += map[e] ?? e;
      k += 2;
      continue;
    }
    out += ch;
    k++;
  }
  return { value: out, end: k, error: "unterminated string" };
}

function isAllDigits(s: string): boolean {
  for (let k = 0; k < s.length; k++) if (!isDigit(s.charCodeAt(k))) return false;
  return s.length > 0;
}

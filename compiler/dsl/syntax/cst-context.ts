// What the CST → AST functions share: takes the source (file name and text), produces spans of
// tokens and CST nodes, typed access to a node's children (cst.ts; a child error recovery left out
// reads as undefined, a token it inserted as absent), and placeholders for missing or unsupported
// pieces. `pending` keeps `x = e` / `x++` parsed inside an expression for the statement level.
import type { CstNode, IToken } from "chevrotain";
import type * as A from "../ast.js";
import type { Span } from "../../span.js";

export type Child = CstNode | IToken;
/** Any child of a node of type N (cst.ts). */
export type ChildOf<N extends CstNode> = NonNullable<N["children"][keyof N["children"]]>[number];

export const isToken = (c: Child): c is IToken => (c as IToken).tokenType !== undefined;

/** The i-th token of a kind, unless error recovery inserted it. */
export function tok(ts: IToken[] | undefined, i = 0): IToken | undefined {
  const t = ts?.[i];
  return t && !t.isInsertedInRecovery ? t : undefined;
}

/** The first child node of a kind. */
export const first = <T extends CstNode>(ns: T[] | undefined): T | undefined => ns?.[0];

/** All child nodes of a kind. */
export const all = <T extends CstNode>(ns: T[] | undefined): T[] => ns ?? [];

function startOf(c: Child): number {
  const o = isToken(c) ? c.startOffset : c.location?.startOffset;
  return o === undefined || Number.isNaN(o) ? Number.MAX_SAFE_INTEGER : o;
}

/** All children in source order (the CST groups them by kind), without tokens recovery inserted. */
export function ordered<N extends CstNode>(n: N): ChildOf<N>[] {
  const out: Child[] = [];
  for (const k in n.children) for (const c of n.children[k]!) if (!(isToken(c) && c.isInsertedInRecovery)) out.push(c);
  return out.sort((a, b) => startOf(a) - startOf(b)) as ChildOf<N>[];
}

export class CstContext {
  /** `x++` / `x = e` parsed inside an expression: kept so statement level can turn them into Assign. */
  readonly pending = new WeakMap<A.UnsupportedExpr, { target: A.Expr; op: A.AssignOp; value: A.Expr }>();

  constructor(
    readonly file: string,
    readonly text: string,
  ) {}

  tokenSpan(t: IToken): Span {
    if (Number.isNaN(t.startOffset) || t.isInsertedInRecovery) return this.endSpan();
    const endCol = (t.endColumn ?? t.startColumn ?? 1) + 1;
    return {
      file: this.file,
      line: t.startLine ?? 1,
      col: t.startColumn ?? 1,
      endLine: t.endLine ?? t.startLine,
      endCol,
      offset: t.startOffset,
      length: (t.endOffset ?? t.startOffset) - t.startOffset + 1,
    };
  }

  endSpan(): Span {
    const lines = this.text.split("\n");
    const last = lines[lines.length - 1] ?? "";
    return { file: this.file, line: lines.length, col: last.length + 1, offset: this.text.length, length: 0 };
  }

  span(n: Child | undefined): Span {
    if (!n) return this.endSpan();
    if (isToken(n)) return this.tokenSpan(n);
    const l = n.location;
    if (l && !Number.isNaN(l.startOffset) && l.startLine !== undefined && !Number.isNaN(l.startLine)) {
      const endOffset = l.endOffset !== undefined && !Number.isNaN(l.endOffset) ? l.endOffset : l.startOffset;
      const endCol = Number.isNaN(l.endColumn ?? NaN) ? undefined : (l.endColumn ?? 0) + 1;
      return {
        file: this.file,
        line: l.startLine,
        col: l.startColumn ?? 1,
        endLine: Number.isNaN(l.endLine ?? NaN) ? l.startLine : l.endLine,
        endCol,
        offset: l.startOffset,
        length: endOffset - l.startOffset + 1,
      };
    }
    const c = ordered(n)[0];
    return c ? this.span(c) : this.endSpan();
  }

  /** A piece error recovery left out: an expression the checker types as an error without a report. */
  missing(n: Child | undefined): A.UnsupportedExpr {
    return { kind: "UnsupportedExpr", what: "", span: this.span(n) };
  }

  unsupported(what: string, n: Child | undefined): A.Unsupported {
    return { kind: "Unsupported", what, span: this.span(n) };
  }

  unsupportedExpr(what: string, n: Child | undefined | Span): A.UnsupportedExpr {
    const span = n && "file" in n ? n : this.span(n as Child | undefined);
    return { kind: "UnsupportedExpr", what, span };
  }
}

// Source positions shared by every phase: a span names a file and a 1-based line/column range;
// once diagnostics are emitted (diagnostics.ts) it also carries the text of its line, so a
// diagnostic prints its line and caret without the source at hand (as esbuild's locations do).
export interface Span {
  file: string;
  line: number; // 1-based
  col: number; // 1-based
  endLine?: number;
  endCol?: number;
  offset?: number; // 0-based character offset into the file text
  length?: number;
  /** The text of line `line` (without its line break), filled in by lineOf. */
  lineText?: string;
}

let lineStarts: { text: string; starts: number[] } | undefined;

/** The span with the text of its line; lines end at \n, \r\n, \r, U+2028 or U+2029, as the lexers count them. */
export function lineOf(span: Span, text: string): Span {
  if (lineStarts?.text !== text) {
    const starts = [0];
    for (const m of text.matchAll(/\r\n?|\n|\u2028|\u2029/g)) starts.push(m.index + m[0].length);
    lineStarts = { text, starts };
  }
  const start = lineStarts.starts[span.line - 1];
  if (start === undefined) return span;
  const end = lineStarts.starts[span.line];
  return { ...span, lineText: text.slice(start, end).replace(/(?:\r\n?|\n|\u2028|\u2029)$/, "") };
}

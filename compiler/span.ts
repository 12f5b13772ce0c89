// Source positions shared by every phase: a span names a file and a 1-based line/column range.
export interface Span {
  file: string;
  line: number; // 1-based
  col: number; // 1-based
  endLine?: number;
  endCol?: number;
  offset?: number; // 0-based character offset into the file text
  length?: number;
}

// The one place diagnostics are printed: compact (`file:line:col: error CODE: message`) for
// pipes and tests, plus the source line and a caret; colour only on a terminal without NO_COLOR.
import type { Diagnostic } from "../compiler/diagnostics.js";
import { formatCompact } from "../compiler/diagnostics.js";

export interface RenderOptions {
  color: boolean;
  /** file name → text, to show the source line under the message. */
  sources?: Map<string, string>;
  /** false: only the compact line. */
  frame?: boolean;
}

export function renderDiagnostic(d: Diagnostic, o: RenderOptions): string {
  const red = (s: string) => (o.color ? `\x1b[1;31m${s}\x1b[0m` : s);
  const bold = (s: string) => (o.color ? `\x1b[1m${s}\x1b[0m` : s);
  const lines = [compactColored(d, red, bold)];
  if (o.frame !== false) lines.push(...frame(d, o));
  for (const n of d.notes ?? []) {
    const where = n.span ? `${n.span.file}:${n.span.line}:${n.span.col}: ` : "";
    lines.push(`${where}note: ${n.message}`);
  }
  return lines.join("\n") + "\n";
}

function compactColored(d: Diagnostic, red: (s: string) => string, bold: (s: string) => string): string {
  const plain = formatCompact(d);
  if (red("x") === "x") return plain;
  const where = d.span ? `${d.span.file}:${d.span.line}:${d.span.col}: ` : "";
  return `${bold(where)}${red(`${d.severity} ${d.code}:`)} ${d.message}`;
}

function frame(d: Diagnostic, o: RenderOptions): string[] {
  const text = d.span && o.sources?.get(d.span.file);
  if (!d.span || text === undefined || text === null) return [];
  const line = sourceLine(text, d.span.line);
  if (line === undefined) return [];
  // a long line is shown as a window around the column (one garbage line must not print megabytes)
  const from = line.length > MAX_SHOWN ? Math.max(0, Math.min(d.span.col - 1 - MAX_SHOWN / 4, line.length - MAX_SHOWN)) : 0;
  const src = line.slice(from, from + MAX_SHOWN);
  const col = d.span.col - from;
  const width = Math.max(1, d.span.endLine === d.span.line && d.span.endCol ? d.span.endCol - d.span.col : d.span.length ?? 1);
  const pad = src.slice(0, col - 1).replace(/[^\t]/g, " ");
  return [src, `${pad}${"^".repeat(Math.min(width, Math.max(1, src.length - col + 1)))}`];
}

const MAX_SHOWN = 160;
let lineStarts: { text: string; starts: number[] } | undefined;

/** Line `n` (1-based) of `text`; lines end at \n, \r\n, \r, U+2028 or U+2029, as the lexers count them. */
function sourceLine(text: string, n: number): string | undefined {
  if (lineStarts?.text !== text) {
    const starts = [0];
    for (const m of text.matchAll(/\r\n?|\n|\u2028|\u2029/g)) starts.push(m.index + m[0].length);
    lineStarts = { text, starts };
  }
  const start = lineStarts.starts[n - 1];
  if (start === undefined) return undefined;
  const end = lineStarts.starts[n];
  return text.slice(start, end).replace(/(?:\r\n?|\n|\u2028|\u2029)$/, "");
}

export function renderAll(ds: readonly Diagnostic[], o: RenderOptions): string {
  return ds.map((d) => renderDiagnostic(d, o)).join("");
}

export function useColor(env: Record<string, string | undefined>, isTTY: boolean): boolean {
  return isTTY && env.NO_COLOR === undefined && env.TERM !== "dumb";
}

// The one place diagnostics are printed: compact (`file:line:col: error CODE: message`) for
// pipes and tests, plus the source line (the span's, resolved by the emitter) and a caret; colour
// only on a terminal without NO_COLOR.
import type { Diagnostic } from "../compiler/diagnostics.js";
import { formatCompact } from "../compiler/diagnostics.js";
import { lineOf, type Span } from "../compiler/span.js";

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
  const line = d.span && lineText(d.span, o.sources);
  if (!d.span || line === undefined) return [];
  // a long line is shown as a window around the column (one garbage line must not print megabytes)
  const from =
    line.length > MAX_SHOWN ? Math.max(0, Math.min(d.span.col - 1 - MAX_SHOWN / 4, line.length - MAX_SHOWN)) : 0;
  const src = line.slice(from, from + MAX_SHOWN);
  const col = d.span.col - from;
  const width = Math.max(
    1,
    d.span.endLine === d.span.line && d.span.endCol ? d.span.endCol - d.span.col : (d.span.length ?? 1),
  );
  const pad = src.slice(0, col - 1).replace(/[^\t]/g, " ");
  return [src, `${pad}${"^".repeat(Math.min(width, Math.max(1, src.length - col + 1)))}`];
}

const MAX_SHOWN = 160;

/** The span's line: resolved by the emitter, else looked up in `sources`. */
function lineText(span: Span, sources?: Map<string, string>): string | undefined {
  if (span.lineText !== undefined) return span.lineText;
  const text = sources?.get(span.file);
  return text === undefined ? undefined : lineOf(span, text).lineText;
}

export function renderAll(ds: readonly Diagnostic[], o: RenderOptions): string {
  return ds.map((d) => renderDiagnostic(d, o)).join("");
}

export function useColor(env: Record<string, string | undefined>, isTTY: boolean): boolean {
  return isTTY && env.NO_COLOR === undefined && env.TERM !== "dumb";
}

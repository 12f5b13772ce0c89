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
  const src = text.split(/\r?\n/)[d.span.line - 1];
  if (src === undefined) return [];
  const width = Math.max(1, d.span.endLine === d.span.line && d.span.endCol ? d.span.endCol - d.span.col : d.span.length ?? 1);
  const pad = src.slice(0, d.span.col - 1).replace(/[^\t]/g, " ");
  return [src, `${pad}${"^".repeat(Math.min(width, Math.max(1, src.length - d.span.col + 1)))}`];
}

export function renderAll(ds: readonly Diagnostic[], o: RenderOptions): string {
  return ds.map((d) => renderDiagnostic(d, o)).join("");
}

export function useColor(env: Record<string, string | undefined>, isTTY: boolean): boolean {
  return isTTY && env.NO_COLOR === undefined && env.TERM !== "dumb";
}

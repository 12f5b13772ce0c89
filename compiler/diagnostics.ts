// Diagnostics are values: producers return them, never print. One renderer (cli/render.ts) prints them.
import type { Span } from "./span.js";

export type Severity = "error" | "warning" | "note";

export interface Note {
  message: string;
  span?: Span;
}

export interface Diagnostic {
  code: string; // from the one registry, compiler/codes.ts (docs/diagnostics.md says what each means)
  severity: Severity;
  message: string;
  span?: Span;
  notes?: Note[];
}

export function error(code: string, message: string, span?: Span, notes?: Note[]): Diagnostic {
  return { code, severity: "error", message, span, notes };
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === "error");
}

/** Thrown (and caught at the CLI boundary) when a phase cannot continue; carries its diagnostics. */
export class DiagnosticError extends Error {
  /** `sources`: file name → text, so the renderer can show the line and caret. */
  constructor(readonly diagnostics: Diagnostic[], readonly sources?: Map<string, string>) {
    super(diagnostics.map((d) => d.message).join("; "));
  }
}

/** At most this many diagnostics are shown per file. */
export const MAX_DIAGNOSTICS = 100;

/** The first MAX_DIAGNOSTICS diagnostics; the last one shown notes how many more there were. */
export function capDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  if (ds.length <= MAX_DIAGNOSTICS) return ds;
  const last = ds[MAX_DIAGNOSTICS - 1]!;
  const more = { message: `and ${ds.length - MAX_DIAGNOSTICS} more errors (at most ${MAX_DIAGNOSTICS} are shown per file)` };
  return [...ds.slice(0, MAX_DIAGNOSTICS - 1), { ...last, notes: [...(last.notes ?? []), more] }];
}

/** Compact one-line form, used by tests and pipes: `file:line:col: error CODE: message`. */
export function formatCompact(d: Diagnostic): string {
  const where = d.span ? `${d.span.file}:${d.span.line}:${d.span.col}: ` : "";
  return `${where}${d.severity} ${d.code}: ${d.message}`;
}

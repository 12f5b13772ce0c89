// Diagnostics are values: producers return them, never print. One emitter (emitDiagnostics) puts
// them in source order, drops repeats, caps them and resolves each span's line; one renderer
// (cli/render.ts) prints them.
import { lineOf, type Span } from "./span.js";

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
  constructor(
    readonly diagnostics: Diagnostic[],
    readonly sources?: Map<string, string>,
  ) {
    super(diagnostics.map((d) => d.message).join("; "));
  }
}

/**
 * The one emitter, for every build path (`build`, `run`, `test` and the API's BuildFns): the
 * diagnostics in source order, exact repeats dropped, at most MAX_DIAGNOSTICS, each span (and
 * note span) carrying the text of its line from `sources` (file name → text).
 */
export function emitDiagnostics(ds: readonly Diagnostic[], sources: ReadonlyMap<string, string>): Diagnostic[] {
  const withLine = (s: Span | undefined) => {
    const text = s && sources.get(s.file);
    return s && text !== undefined ? lineOf(s, text) : s;
  };
  return capDiagnostics(inSourceOrder(ds)).map((d) => ({
    ...d,
    ...(d.span && { span: withLine(d.span) }),
    ...(d.notes && { notes: d.notes.map((n) => ({ ...n, ...(n.span && { span: withLine(n.span) }) })) }),
  }));
}

/** Diagnostics sorted by position (line, then column; none first), stable, exact repeats dropped. */
export function inSourceOrder(ds: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const key = (d: Diagnostic) => `${d.span?.file}:${d.span?.line}:${d.span?.col}:${d.code}:${d.message}`;
  const unique = ds.filter((d) => !seen.has(key(d)) && !!seen.add(key(d)));
  const at = (d: Diagnostic) => [d.span?.line ?? 0, d.span?.col ?? 0];
  return unique.sort((a, b) => at(a)[0] - at(b)[0] || at(a)[1] - at(b)[1]);
}

/** At most this many diagnostics are shown per file. */
export const MAX_DIAGNOSTICS = 100;

/** The first MAX_DIAGNOSTICS diagnostics; the last one shown notes how many more there were. */
export function capDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  if (ds.length <= MAX_DIAGNOSTICS) return ds;
  const last = ds[MAX_DIAGNOSTICS - 1]!;
  const more = {
    message: `and ${ds.length - MAX_DIAGNOSTICS} more errors (at most ${MAX_DIAGNOSTICS} are shown per file)`,
  };
  return [...ds.slice(0, MAX_DIAGNOSTICS - 1), { ...last, notes: [...(last.notes ?? []), more] }];
}

/** Compact one-line form, used by tests and pipes: `file:line:col: error CODE: message`. */
export function formatCompact(d: Diagnostic): string {
  const where = d.span ? `${d.span.file}:${d.span.line}:${d.span.col}: ` : "";
  return `${where}${d.severity} ${d.code}: ${d.message}`;
}

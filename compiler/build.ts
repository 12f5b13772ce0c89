// Building a source in memory: takes DSL (.ts, .mts) or assembly (.s, .S, .asm) text and its file
// name, loads that front end lazily (so objdump never loads the DSL) and produces the object and
// its diagnostics (at most 100). Used by `tsebpf build`, `run`/`test` and the library's load().
import { DiagnosticError, capDiagnostics, hasErrors } from "./diagnostics.js";
import type { BuildFn, BuildOptions, BuildResult } from "./build-api.js";

export type SourceKind = "dsl" | "asm";

/** Which front end builds `file`, by its extension; undefined when neither does. */
export function sourceKind(file: string): SourceKind | undefined {
  if (/\.(ts|mts)$/.test(file)) return "dsl";
  if (/\.(s|S|asm)$/.test(file)) return "asm";
  return undefined;
}

/** Build a .ts or .s source in memory (callers check sourceKind first). */
export async function buildSource(text: string, file: string, opts: BuildOptions): Promise<BuildResult> {
  const fn = await frontEnd(file);
  const r = fn(text, file, opts);
  return { ...r, diagnostics: capDiagnostics(r.diagnostics) };
}

async function frontEnd(file: string): Promise<BuildFn> {
  const kind = sourceKind(file);
  if (kind === "dsl") return (await import("./dsl/index.js")).compileToObject;
  if (kind === "asm") return (await import("./asm/index.js")).assembleToObject;
  throw new Error(`${file}: not a .ts or .s source`);
}

/** Build or throw DiagnosticError (which carries the source, for the line and caret). */
export async function buildOrThrow(text: string, file: string, opts: BuildOptions): Promise<Uint8Array> {
  const r = await buildSource(text, file, opts);
  if (hasErrors(r.diagnostics) || !r.object) throw new DiagnosticError(r.diagnostics, new Map([[file, text]]));
  return r.object;
}

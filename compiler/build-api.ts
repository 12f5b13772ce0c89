// The contract between `tsebpf build` (and `run`/`test`, which build in memory) and the two
// front ends. compiler/asm/index.ts exports `assembleToObject`, compiler/dsl/index.ts exports
// `compileToObject`; both have this signature and never print.
import type { Diagnostic } from "./diagnostics.js";

export interface BuildOptions {
  /** "xdp/<name>" (default) or "libbpf": plain "xdp". */
  sectionStyle: "tsebpf" | "libbpf";
  /** Assembler input dialect. */
  syntax?: "llvm" | "ubpf";
}

export interface BuildResult {
  /** The ELF object, or undefined when any error diagnostic was produced. */
  object?: Uint8Array;
  diagnostics: Diagnostic[];
}

export type BuildFn = (text: string, file: string, opts: BuildOptions) => BuildResult;

// The contract between `tsebpf build` (and `run`/`test`, which build in memory) and the two
// front ends. compiler/asm/index.ts exports `assembleToObject`, compiler/dsl/index.ts exports
// `compileToObject`; both have this signature and never print.
import type { Diagnostic } from "./diagnostics.js";

export type LoopMode = "auto" | "real" | "bounded" | "unroll";
export const LOOP_MODES: readonly LoopMode[] = ["auto", "real", "bounded", "unroll"];

export interface BuildOptions {
  /** "xdp/<name>" (default) or "libbpf": plain "xdp". */
  sectionStyle: "tsebpf" | "libbpf";
  /** Assembler input dialect. */
  syntax?: "llvm" | "ubpf";
  /** DSL loops (compiler/dsl/unroll.ts, README "Loops"): "auto" (default) a real loop with may_goto
   * (kernel ≥ 6.9) or unrolled by the rule; "real" every for, while and do…while loop that can be one a
   * real loop with may_goto; "bounded" the same without may_goto (a plain bounded loop, kernel ≥ 5.3);
   * "unroll" every loop unrolled (any kernel). */
  loops?: LoopMode;
}

export interface BuildResult {
  /** The ELF object, or undefined when any error diagnostic was produced. */
  object?: Uint8Array;
  diagnostics: Diagnostic[];
  /** Per program (DSL only): its instruction slots and the verifier-work estimate (`build -v`). */
  stats?: ProgramStats[];
}

export interface ProgramStats {
  name: string;
  slots: number;
  /** Instructions the compiler's walk of the verifier's exploration visits (backend/verifier-cost.ts),
   * each static subprogram it calls counted again per call site (compiler/dsl/call-graph.ts). */
  verifierEstimate: number;
  /** Distinct maps (global data sections included) of its call graph: the kernel allows MAX_USED_MAPS. */
  maps: number;
  /** A global function, verified on its own (else an XDP program, verified with its static subprograms). */
  global?: boolean;
}

export type BuildFn = (text: string, file: string, opts: BuildOptions) => BuildResult;

// The limits the DSL compiler checks before it emits a program, in one place (the checker, the
// lowering, the back end and the README "Limits" section all take their numbers from here): the
// kernel's own limits and the compiler's unrolling and inlining bounds. Takes nothing; produces
// constants.

/** Bytes of stack per program (MAX_BPF_STACK). */
export const STACK_LIMIT = 512;
/** Distinct maps one program may reference (the verifier's MAX_USED_MAPS). */
export const MAX_USED_MAPS = 64;
/** Instructions the verifier walks before "BPF program is too large" (BPF_COMPLEXITY_LIMIT_INSNS). */
export const VERIFIER_INSN_LIMIT = 1_000_000;
/**
 * compiler/dsl/backend/verifier-cost.ts walks about 0.6–0.8 of the instructions the kernel's verifier does
 * (measured on unrolled branchy loops); a program is refused when the walk times this factor
 * passes VERIFIER_INSN_LIMIT, so the compiler refuses before the kernel would.
 */
export const VERIFIER_ESTIMATE_FACTOR = 2;
/** Iterations of one loop (the checker bounds each loop and reports TSB9010). */
export const MAX_LOOP_TRIPS = 1024;
/** Loop bodies one program may unroll in all, nested loops multiplying. */
export const MAX_UNROLLED_BODIES = 8192;
/**
 * IR operations and basic blocks one function may have once its callees are inlined and its loops
 * unrolled (about as many BPF instructions and branch targets; TSB9506): the compiler's passes stay
 * within seconds and bounded memory. The kernel's own bound is 1,000,000 instructions (4,096
 * unprivileged); the example programs have < 3,000 operations and < 1,000 blocks.
 */
export const MAX_PROGRAM_OPS = 131_072;
export const MAX_PROGRAM_BLOCKS = 16_384;
/** Helper functions are inlined: calls may nest this deep (TSB9020). */
export const MAX_CALL_DEPTH = 16;
/** Frames of a BPF-to-BPF call chain, the program's included (the kernel's MAX_CALL_FRAMES). */
export const MAX_CALL_FRAMES = 8;
/** A helper function of at most this many statements and expressions is inlined (compiler/dsl/inlining.ts). */
export const INLINE_NODES = 12;
/** Each frame of a call chain takes its stack rounded up to this (the verifier's round_up(depth, 32)). */
export const FRAME_ALIGN = 32;
/** Times one frame's may_goto instructions may run before the kernel takes their goto (BPF_MAX_LOOPS):
 * the compiler gives a real loop a may_goto only while its rounds stay within it (lower/control.ts). */
export const MAY_GOTO_BUDGET = 8 * 1024 * 1024;

// The compiler's size guard (TSB9506, MAX_PROGRAM_OPS and _BLOCKS) and its memory on large programs: generated
// program #121 (fixtures/limits/gen-121.ts: two logging functions called in nested loops, all
// inlined) ran `tsebpf build` out of an 8 GB heap; a program just over the guard gets the
// diagnostic, one just under lowers; a branchy unrolled loop compiles in a small heap. Built with
// `--loops unroll` (the default makes these loops real loops, which stay small).
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { parseProgram } from "../compiler/dsl/syntax/parser.js";
import { checkProgram } from "../compiler/dsl/check/checker.js";
import { Lowerer } from "../compiler/dsl/lower/lower.js";
import { compileToObject } from "../compiler/dsl/index.js";
import { formatCompact } from "../compiler/diagnostics.js";
import { MAX_PROGRAM_OPS } from "../compiler/dsl/limits.js";
import { BIN } from "./helpers/cli.js";
import { withTempDir } from "./helpers/tmp.js";

/** `tsebpf build` in a child process whose heap is `mb` megabytes (a build that needs more dies). */
function buildIn(mb: number, src: string): { status: number | null; stderr: string } {
  return withTempDir("tsebpf-size-", (dir) => {
    const file = `${dir}/big.ts`;
    writeFileSync(file, src);
    const argv = [`--max-old-space-size=${mb}`, BIN, "build", "--loops", "unroll", file, "-o", `${dir}/big.o`];
    const r = spawnSync(process.execPath, argv, { encoding: "utf8", timeout: 120_000 });
    return { status: r.status, stderr: r.stderr };
  });
}

/** `n` rounds of 8 unrolled bodies, every round the same operations. */
const rounds = (n: number): string => `import { XdpContext, XdpAction, u32 } from "tsebpf";
export function xdp_t(ctx: XdpContext): XdpAction {
  let s: u32 = ctx.length;
  for (let i = 0; i < ${n}; i++) {
    for (let j = 0; j < 8; j++) { s = ((s ^ ctx.length) * 3 + 1) >> 1; s += s << 2; s ^= s >> 7; s = s * 5 + 9; }
  }
  return s === 5 ? XdpAction.Drop : XdpAction.Pass;
}
`;

/** The operations the lowering emits for a program without helper functions. */
function loweredOps(src: string): number {
  const p = checkProgram(parseProgram(src, "t.ts").ast).program!;
  const f = new Lowerer(p.programs[0]!, {
    maps: new Map(),
    logFormats: [],
    usesLogs: false,
    loops: "unroll",
  }).lowerProgram();
  return f.blocks.reduce((n, b) => n + b.ops.length, 0);
}

describe("program size guard (TSB9506)", () => {
  it("generated program #121 gets the diagnostic at its call in a loop, in a 256 MB heap", () => {
    const r = buildIn(256, readFileSync("fixtures/limits/gen-121.ts", "utf8"));
    expect(r.stderr).toMatch(
      /^\S*big\.ts:33:15: error TSB9506: 'xdp_g121' is too large: it passes 16384 blocks in this statement once the functions it calls are inlined/,
    );
    expect(r.stderr).not.toMatch(/heap|\n\s+at /);
    expect(r.status).toBe(1);
  }, 150_000);

  it("a program just over the guard gets the diagnostic; one round fewer lowers", () => {
    const [one, two] = [loweredOps(rounds(1)), loweredOps(rounds(2))];
    const round = two - one;
    const under = Math.floor((MAX_PROGRAM_OPS - (one - round)) / round);
    expect(loweredOps(rounds(under))).toBeLessThanOrEqual(MAX_PROGRAM_OPS);
    const r = compileToObject(rounds(under + 1), "t.ts", { sectionStyle: "tsebpf", loops: "unroll" });
    expect(r.object).toBeUndefined();
    expect(r.diagnostics.map(formatCompact)).toEqual([
      expect.stringMatching(/^t\.ts:5:\d+: error TSB9506: 'xdp_t' is too large: it passes 131072 operations/),
    ]);
  }, 60_000);
});

describe("memory on large programs", () => {
  // 2048 unrolled bodies with a branch each: the interval pass kept every register's bound at every
  // block (1.1 GB and 8 s); it keeps the registers live into a block.
  it("a branchy unrolled loop compiles in a 320 MB heap", () => {
    const src = `import { XdpContext, XdpAction, u32 } from "tsebpf";
export function xdp_t(ctx: XdpContext): XdpAction {
  let s: u32 = 0;
  for (let i = 0; i < 8; i++) { for (let j = 0; j < 256; j++) { s += i ^ j ^ ctx.length; if (s > 7) s = s - ctx.length; } }
  return s === 5 ? XdpAction.Drop : XdpAction.Pass;
}
`;
    const r = buildIn(320, src);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  }, 150_000);
});

// What the kernel refuses, refused by the compiler first, at the source: more maps than the
// verifier's MAX_USED_MAPS in one program, and programs whose paths explode past the verifier's
// 1,000,000-instruction walk (compiler/dsl/backend/verifier-cost.ts). ArrayMap/PerCpuArray keys:
// fixtures/errors/array-key.ts. Loop limits: 1024 iterations per loop, 8192 unrolled bodies.
import { describe, expect, it } from "vitest";
import { compileToObject } from "../compiler/dsl/index.js";
import { formatCompact } from "../compiler/diagnostics.js";
import { writeBpfObject } from "../compiler/elf/write-object.js";
import { LD_IMM64, type Insn } from "../compiler/isa/insn.js";
import { MAX_USED_MAPS } from "../compiler/dsl/limits.js";
import { haveKernel } from "./helpers/env.js";
import { XDP_HEAD, checkDiags, compileDsl } from "./helpers/dsl.js";
import { runPackets, withObject } from "./helpers/run.js";

/** A program declaring and using `n` array maps, one per line (map i on line 4 + n + i). */
function manyMaps(n: number): string {
  const names = Array.from({ length: n }, (_, i) => `M${i}`);
  return [
    `import { XdpContext, XdpAction, ArrayMap, u32, u64 } from "tsebpf";`,
    ...names.map((m) => `export const ${m} = new ArrayMap<u32, u64>(1);`),
    `export function xdp_maps(ctx: XdpContext): XdpAction {`,
    ...names.map((m) => `  ${m}.add(0, 1);`),
    `  return XdpAction.Pass;`,
    `}`,
    ``,
  ].join("\n");
}

const errors = (src: string) =>
  compileToObject(src, "maps.ts", { sectionStyle: "tsebpf", loops: "unroll" }).diagnostics.map(formatCompact);

describe("maps per program", () => {
  it(`more than ${MAX_USED_MAPS} maps in one program is a diagnostic at the first use of map ${MAX_USED_MAPS + 1}`, () => {
    expect(errors(manyMaps(70))).toEqual([
      `maps.ts:${2 + 70 + 1 + 64}:3: error TSB9504: 'xdp_maps' uses 70 maps; the kernel allows 64 per program (this is map number 65, 'M64')`,
    ]);
    expect(errors(manyMaps(MAX_USED_MAPS))).toEqual([]);
  });
});

describe.skipIf(!haveKernel)("maps per program in the kernel", () => {
  it(`${MAX_USED_MAPS} maps load and run; the kernel itself refuses one more`, () => {
    const { verdicts } = runPackets(compileDsl(manyMaps(MAX_USED_MAPS), "maps.ts"), [new Uint8Array(64)]);
    expect(verdicts).toEqual([2]);
    // the same shape one map over the limit, written without the compiler's check
    const maps = Array.from({ length: MAX_USED_MAPS + 1 }, (_, i) => ({
      name: `M${i}`,
      type: 2,
      keySize: 4,
      valueSize: 8,
      maxEntries: 1,
      flags: 0,
    }));
    const insns: Insn[] = [
      ...maps.map((m): Insn => ({ code: LD_IMM64, dst: 1, src: 0, off: 0, imm: 0, imm64: 0n, symbol: m.name })),
      { code: 0xb7, dst: 0, src: 0, off: 0, imm: 2 },
      { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
    ];
    const obj = writeBpfObject({
      license: "GPL",
      maps,
      programs: [{ section: "xdp", func: { name: "xdp_maps", insns, global: true } }],
    });
    expect(() => withObject(obj, () => undefined)).toThrow(/maps per program has reached the limit of 64 \(E2BIG\)/);
  });
});

/** `n` unrolled iterations (built with `loops: "unroll"`: the default makes the loop a real one), each a branch that sets a different bit of `c`, then a test of `c`. */
function paths(n: number): string {
  return `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, u32 } from "tsebpf";

export function xdp_paths(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.Pass;
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null) return XdpAction.Pass;
  const a: u32 = ip.srcAddr;
  let c: u32 = 0;
  for (let i = 0; i < ${n}; i++) {
    if (((a >> i) & 1) === 1) c = c | (1 << i);
  }
  if (c === 0x0a0b) return XdpAction.Drop;
  return XdpAction.Pass;
}
`;
}

describe("verifier work (path explosion)", () => {
  it("40 unrolled branches feeding a later test: a diagnostic at the loop's branch, with the estimate", () => {
    const [d, ...rest] = errors(paths(40));
    expect(rest).toEqual([]);
    expect(d).toMatch(
      /^maps\.ts:11:5: error TSB9505: 'xdp_paths' is too complex for the kernel verifier: it would check more than 1000000 instructions \(estimated; the kernel stops at 1000000\); the branches of this line split the paths \d+\+ times/,
    );
  });

  it("smaller sizes of the same program compile", () => {
    for (const n of [8, 12]) expect(errors(paths(n))).toEqual([]);
  });
});

describe.skipIf(!haveKernel)("verifier work in the kernel", () => {
  // 16 iterations: the kernel walks 557,059 instructions (6.18) and accepts; the compiler agrees.
  it("the largest accepted reproducer size loads and decides correctly", () => {
    const src = (b: number[]) => Uint8Array.from([...Array(26).fill(0), ...b, ...Array(10).fill(0)]);
    const { verdicts } = runPackets(
      compileDsl(paths(16), "paths.ts", { loops: "unroll" }),
      [src([0, 0, 0x0a, 0x0b]), src([0, 0, 0x0a, 0x0c])].map((p) => {
        p[12] = 8;
        p[14] = 0x45;
        return p;
      }),
    );
    expect(verdicts).toEqual([1, 2]);
  }, 60_000);
});

describe("loop limits", () => {
  const loops = (outer: number, inner: number) =>
    compileToObject(
      XDP_HEAD +
        `export function xdp_t(ctx: XdpContext): XdpAction {
  let s: u32 = 0;
  for (let i = 0; i < ${outer}; i++) { for (let j = 0; j < ${inner}; j++) { s += i ^ j ^ ctx.length; } }
  return s === 5 ? XdpAction.Drop : XdpAction.Pass;
}`,
      "t.ts",
      { sectionStyle: "tsebpf", loops: "unroll" },
    );

  // No wall-clock bound (npm run bench measures speed): a build that hangs fails on the timeout.
  it("nested loops that unroll to 10^6 bodies give a diagnostic (the build hung for minutes)", () => {
    const r = loops(1000, 1000);
    expect(r.object).toBeUndefined();
    expect(r.diagnostics.map((d) => d.message).join("\n")).toMatch(/more than 8192 times in all/);
  }, 60_000);

  it("the checker's per-loop limit is the one the back end enforces (1024, not 65536)", () => {
    expect(
      checkDiags(
        `export function xdp_t(ctx: XdpContext): XdpAction { let s: u32 = 0; for (let i = 0; i < 2000; i++) { s += i; } return s === 1 ? XdpAction.Drop : XdpAction.Pass; }`,
      ),
    ).toEqual(["TSB9010 This loop runs 2000 times; at most 1024 iterations are allowed."]);
    expect(
      checkDiags(
        `export function xdp_t(ctx: XdpContext): XdpAction { let s: u32 = 0; for (let i = 0; i < 1024; i++) { s += i; } return s === 1 ? XdpAction.Drop : XdpAction.Pass; }`,
      ),
    ).toEqual([]);
    expect(loops(1, 1024).diagnostics).toEqual([]);
  });
});

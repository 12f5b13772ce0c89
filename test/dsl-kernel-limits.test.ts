// What the kernel refuses, refused by the compiler first, at the source: more maps than the
// verifier's MAX_USED_MAPS in one program. (ArrayMap/PerCpuArray keys: fixtures/errors/array-key.ts.)
import { describe, expect, it } from "vitest";
import { compileToObject } from "../compiler/dsl/index.js";
import { formatCompact } from "../compiler/diagnostics.js";
import { writeBpfObject } from "../compiler/elf/write-object.js";
import { LD_IMM64, type Insn } from "../compiler/isa/insn.js";
import { MAX_USED_MAPS } from "../compiler/dsl/limits.js";
import { haveKernel } from "./helpers/env.js";
import { compileDsl } from "./helpers/dsl.js";
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

const errors = (src: string) => compileToObject(src, "maps.ts", { sectionStyle: "tsebpf" }).diagnostics.map(formatCompact);

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
    const maps = Array.from({ length: MAX_USED_MAPS + 1 }, (_, i) => ({ name: `M${i}`, type: 2, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 }));
    const insns: Insn[] = [...maps.map((m): Insn => ({ code: LD_IMM64, dst: 1, src: 0, off: 0, imm: 0, imm64: 0n, symbol: m.name })),
      { code: 0xb7, dst: 0, src: 0, off: 0, imm: 2 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
    const obj = writeBpfObject({ license: "GPL", maps, programs: [{ section: "xdp", func: { name: "xdp_maps", insns, global: true } }] });
    expect(() => withObject(obj, () => undefined)).toThrow(/maps per program has reached the limit of 64 \(E2BIG\)/);
  });
});

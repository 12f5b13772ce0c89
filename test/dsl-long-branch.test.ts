// Jumps farther than the 16-bit offset reaches: the DSL back end lowers them to gotol (inverting
// the condition around it) and re-lays out until offsets settle. Unit tests of the lowering on
// hand-made code, and the kernel regression: an early `return` before a long unrolled loop used
// to wrap its offset into the middle of the loop (short frames that must PASS were DROPped, and
// the verifier accepted it).
import { describe, expect, it } from "vitest";
import { haveKernel } from "./helpers/env.js";
import { compileDsl } from "./helpers/dsl.js";
import { runPackets } from "./helpers/run.js";
import { lowerLongBranches } from "../compiler/dsl/backend/long-branch.js";
import { encodeInsns } from "../compiler/isa/encode.js";
import { decodeInsns } from "../compiler/isa/decode.js";
import type { Insn } from "../compiler/isa/insn.js";

const ins = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });
const MOV = (k: number) => ins(0xb7, 0, 0, 0, k); // r0 = k: marks where execution lands

/** Follow the taken edge of the jump at slot `at` in decoded code; returns the landing slot. */
function taken(code: Insn[], at: number): number {
  const i = code[at];
  return at + 1 + (i.code === 0x06 ? i.imm : i.off);
}

describe("long-branch lowering", () => {
  it("rewrites goto / if / jset that do not fit 16 bits, and leaves near jumps alone", () => {
    const pad = Array.from({ length: 33000 }, () => MOV(0));
    const insns: Insn[] = [
      { ...ins(0x05), target: "far" }, // goto
      { ...ins(0x25, 1, 0, 0, 7), target: "far" }, // if r1 > 7
      { ...ins(0x45, 1, 0, 0, 4), target: "far" }, // if r1 & 4 (no inverse)
      { ...ins(0x1d, 1, 2), target: "near" }, // if r1 == r2, near
      MOV(1),
      ...pad,
      MOV(2),
      ins(0x95),
    ];
    const labels = new Map([
      ["near", 4],
      ["far", insns.length - 2],
    ]);
    const out = lowerLongBranches({ insns, labels });
    const code = decodeInsns(encodeInsns(out.insns, out.labels));
    const farSlot = code.length - 2;
    expect(code.slice(0, 7).map((i) => i.code.toString(16))).toEqual(["6", "b5", "6", "45", "5", "6", "1d"]);
    expect(code[1]).toMatchObject({ dst: 1, imm: 7, off: 1 }); // if r1 <= 7 goto +1 (skips the gotol)
    expect(code[3]).toMatchObject({ dst: 1, imm: 4, off: 1 }); // if r1 & 4 goto +1; goto +1; gotol
    expect([0, 2, 5].map((s) => taken(code, s))).toEqual([farSlot, farSlot, farSlot]);
    expect(taken(code, 1)).toBe(3);
    expect(taken(code, 3)).toBe(5);
    expect(taken(code, 4)).toBe(6);
    expect(taken(code, 6)).toBe(7); // near jump still lands on `r0 = 1`
    expect(code[7]).toMatchObject({ code: 0xb7, imm: 1 });
  });

  it("iterates: lengthening one jump pushes another just past the limit", () => {
    // the second jump's distance is exactly 32767 until the first one grows by one slot
    const insns: Insn[] = [
      { ...ins(0x15, 1), target: "end" },
      { ...ins(0x15, 2), target: "mid" },
      ...Array.from({ length: 32767 }, () => MOV(0)),
      ...Array.from({ length: 10 }, () => MOV(0)),
      ins(0x95),
    ];
    const mid = 2 + 32767 + 1,
      end = insns.length - 1;
    const once = lowerLongBranches({
      insns,
      labels: new Map([
        ["mid", mid],
        ["end", end],
      ]),
    });
    expect(once.insns.length).toBe(insns.length + 2);
    const code = decodeInsns(encodeInsns(once.insns, once.labels));
    expect(taken(code, 1)).toBe(end + 2);
    expect(taken(code, 3)).toBe(mid + 2);
  });
});

/** The program: h, g mixed 1024 × 16 times (~70,000 instructions) after an early return. */
const LINES = [
  "h = (h ^ (h >> 7)) * 31 + n;",
  "g = (g ^ (g << 5)) * 17 + h;",
  "h = (h ^ (g >> 3)) + 11;",
  "g = (g ^ (h << 9)) * 13 + 7;",
  "h = h + (g >> 11);",
  "g = (g ^ (h >> 2)) * 29 + 3;",
  "h = (h ^ (g << 4)) + 5;",
  "g = g + (h >> 13);",
];
const SRC = `import { XdpContext, XdpAction, u32 } from "tsebpf";

export function xdp_long(ctx: XdpContext): XdpAction {
  const n: u32 = ctx.length;
  let h: u32 = n * 7;
  let g: u32 = n * 3;
  if (n < 60) return XdpAction.Pass;
  for (let i = 0; i < 1024; i++) {
${[...LINES, ...LINES].map((l) => "    " + l).join("\n")}
  }
  if (h > 0x7fffffff) return XdpAction.Tx;
  if (g === 777) return XdpAction.Pass;
  return XdpAction.Drop;
}
`;

/** The same computation with u32 arithmetic in JavaScript. */
function expected(n: number): number {
  if (n < 60) return 2;
  let h = Math.imul(n, 7) >>> 0,
    g = Math.imul(n, 3) >>> 0;
  const mix = () => {
    h = (Math.imul(h ^ (h >>> 7), 31) + n) >>> 0;
    g = (Math.imul((g ^ (g << 5)) >>> 0, 17) + h) >>> 0;
    h = ((h ^ (g >>> 3)) + 11) >>> 0;
    g = (Math.imul((g ^ (h << 9)) >>> 0, 13) + 7) >>> 0;
    h = (h + (g >>> 11)) >>> 0;
    g = (Math.imul(g ^ (h >>> 2), 29) + 3) >>> 0;
    h = ((h ^ (g << 4)) + 5) >>> 0;
    g = (g + (h >>> 13)) >>> 0;
  };
  for (let i = 0; i < 2048; i++) mix();
  return h > 0x7fffffff ? 3 : g === 777 ? 2 : 1;
}

describe.skipIf(!haveKernel)("long branches in the kernel", () => {
  it("an early return before a ~70,000-instruction loop: short frames PASS, long frames get the computed verdict", () => {
    const obj = compileDsl(SRC, "long.ts");
    const lengths = [14, 40, 59, 60, 61, 64, 100, 257, 1000];
    const { verdicts } = runPackets(
      obj,
      lengths.map((n) => new Uint8Array(n).fill(0x5a)),
    );
    expect(verdicts).toEqual(lengths.map(expected));
    expect(new Set(lengths.filter((n) => n >= 60).map(expected)).size).toBeGreaterThan(1); // the verdicts do depend on the loop
  }, 120_000); // runPackets also compiles the ~70,000 instructions for the VM and runs them there (helpers/twin.ts)
});

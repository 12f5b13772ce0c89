// The bpf_conformance suite through our ubpf assembler and the kernel's test-run, plus the
// wrapper itself with hand-made instructions (so a wrapper bug is not hidden by the assembler).
import { describe, expect, it } from "vitest";
import { haveKernel } from "./helpers/env.js";
import { parseCase, runCase, type Assembler, type Encoder } from "../loader/conformance.js";
import type { Insn } from "../compiler/isa/insn.js";

const CONFORMANCE_DIR = process.env.TSEBPF_CONFORMANCE_DIR ?? new URL("../../shared/conformance/tests", import.meta.url).pathname;

const rawEncode: Encoder = (insns) => {
  const out: number[] = [];
  for (const i of insns) {
    const b = Buffer.alloc(i.code === 0x18 ? 16 : 8);
    b[0] = i.code; b[1] = (i.src << 4) | i.dst; b.writeInt16LE(i.off, 2);
    if (i.code === 0x18) {
      const v = BigInt.asUintN(64, i.imm64 ?? 0n);
      b.writeUInt32LE(Number(v & 0xffffffffn), 4); b.writeUInt32LE(Number(v >> 32n), 12);
    } else b.writeInt32LE(i.imm, 4);
    out.push(...b);
  }
  return new Uint8Array(out);
};
const fixed = (insns: Insn[]): Assembler => () => ({ insns, diagnostics: [] });
const I = (code: number, dst: number, src: number, off: number, imm: number, imm64?: bigint): Insn => ({ code, dst, src, off, imm, imm64 });

describe.skipIf(!haveKernel)("conformance wrapper (kernel)", () => {
  it("returns the full 64-bit r0", () => {
    const c = parseCase("-- asm\nlddw %r0, 0x1122334455667788\nexit\n-- result\n0x1122334455667788\n", "wide");
    expect(runCase(c, fixed([I(0x18, 0, 0, 0, 0, 0x1122334455667788n), I(0x95, 0, 0, 0, 0)]), rawEncode)).toEqual({ status: "pass" });
    const bad = { ...c, result: 5n };
    expect(runCase(bad, fixed([I(0x18, 0, 0, 0, 0, 0x1122334455667788n), I(0x95, 0, 0, 0, 0)]), rawEncode)).toMatchObject({ status: "fail", why: /expected 0x5/ });
  });

  it("gives the program the memory in r1 and its length in r2", () => {
    const c = parseCase("-- asm\n-- mem\n00 00 00 01 02 03 04 05\n-- result\n0x504030208\n", "mem");
    // r0 = *(u32 *)(r1 + 4); r0 <<= 8; r0 |= r2 ... checks both
    const prog = [I(0x61, 0, 1, 4, 0), I(0x67, 0, 0, 0, 8), I(0x4f, 0, 2, 0, 0), I(0x95, 0, 0, 0, 0)];
    expect(runCase(c, fixed(prog), rawEncode)).toEqual({ status: "pass" });
  });

  it("skips what the verifier rejects by design and fails the rest", () => {
    const c = parseCase("-- asm\n-- result\n0x0\n", "loop");
    expect(runCase(c, fixed([I(0x05, 0, 0, -1, 0), I(0x95, 0, 0, 0, 0)]), rawEncode).status).toBe("skip");
  });
});

describe.skipIf(!haveKernel)("bpf_conformance suite (kernel)", () => {
  it("passes every test except the known kernel-by-design skips", async () => {
    const { runConformance, formatReport } = await import("../loader/conformance.js");
    const { toolchain } = await import("../loader/conformance-cli.js");
    const { assemble, encode } = await toolchain();
    const r = runConformance(CONFORMANCE_DIR, assemble, encode);
    const failed = r.results.filter((x) => x.outcome.status === "fail");
    expect(failed.map((x) => `${x.name}: ${(x.outcome as { why: string }).why}`)).toEqual([]);
    const skipped = r.results.filter((x) => x.outcome.status === "skip").map((x) => x.name);
    const shifts = ["arsh32", "arsh64", "lsh32", "lsh64", "rsh32", "rsh64"].flatMap((p) => [`${p}-imm-high`, `${p}-imm-neg`]);
    expect(skipped).toEqual(["callx", ...shifts].sort());
    expect(r.passed).toBe(300);
    expect(formatReport(r).trim().split("\n").at(-1)).toBe("300 passed, 0 failed, 13 skipped");
  });
});

describe.skipIf(!haveKernel)("npm run conformance", () => {
  it("prints one line per failure and the totals, exit 0 when nothing fails", async () => {
    const { spawnSync } = await import("node:child_process");
    const cliJs = new URL("../dist/loader/conformance-cli.js", import.meta.url).pathname;
    const r = spawnSync(process.execPath, [cliJs, CONFORMANCE_DIR, "--filter", "^(add|callx)"], { encoding: "utf8", timeout: 30000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("skip 1: callx is not supported by the kernel: callx\n2 passed, 0 failed, 1 skipped\n");
  });
});

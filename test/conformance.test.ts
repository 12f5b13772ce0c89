// The bpf_conformance suite through our ubpf assembler and the kernel's test-run, plus the
// wrapper itself with hand-made instructions (so a wrapper bug is not hidden by the assembler).
import { describe, expect, it } from "vitest";
import { existsSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { haveKernel } from "./helpers/env.js";
import { requireFreshDist } from "./helpers/dist.js";
import { withTempDir } from "./helpers/tmp.js";
import { parseCase, runCase, type Assembler } from "../loader/conformance.js";
import { type Insn, insn } from "../compiler/isa/insn.js";
import { encodeInsns } from "../compiler/isa/encode.js";

// The suite is not part of this repository: TSEBPF_CONFORMANCE_DIR names its tests folder (.ci/run
// sets it). Without it the suite tests skip with the reason; in CI (TSEBPF_REQUIRE_ORACLES=1 or
// TSEBPF_REQUIRE_CONFORMANCE=1) a missing suite fails instead.
const CONFORMANCE_DIR = process.env.TSEBPF_CONFORMANCE_DIR;
const suiteMissing = !CONFORMANCE_DIR
  ? "TSEBPF_CONFORMANCE_DIR is not set (point it at bpf_conformance's tests folder)"
  : !existsSync(CONFORMANCE_DIR)
    ? `TSEBPF_CONFORMANCE_DIR=${CONFORMANCE_DIR} does not exist`
    : undefined;
const suiteRequired = process.env.TSEBPF_REQUIRE_ORACLES === "1" || process.env.TSEBPF_REQUIRE_CONFORMANCE === "1";
const runSuite = haveKernel && (!suiteMissing || suiteRequired);
const suiteTitle = (t: string) => (suiteMissing && !suiteRequired ? `${t} — skipped: ${suiteMissing}` : t);
requireFreshDist(); // the CLI tests run dist/loader/conformance-cli.js
const CLI_JS = new URL("../dist/loader/conformance-cli.js", import.meta.url).pathname;

const fixed =
  (insns: Insn[]): Assembler =>
  () => ({ insns, diagnostics: [] });
const I = (code: number, dst: number, src: number, off: number, imm: number, imm64?: bigint) =>
  insn(code, dst, src, off, imm, { imm64 });

describe.skipIf(!haveKernel)("conformance wrapper (kernel)", () => {
  it("returns the full 64-bit r0", () => {
    const c = parseCase("-- asm\nlddw %r0, 0x1122334455667788\nexit\n-- result\n0x1122334455667788\n", "wide");
    const wide = fixed([I(0x18, 0, 0, 0, 0, 0x1122334455667788n), I(0x95, 0, 0, 0, 0)]);
    expect(runCase(c, wide, encodeInsns)).toEqual({ status: "pass" });
    const bad = { ...c, result: 5n };
    expect(runCase(bad, wide, encodeInsns)).toMatchObject({ status: "fail", why: /expected 0x5/ });
  });

  it("gives the program the memory in r1 and its length in r2", () => {
    const c = parseCase("-- asm\n-- mem\n00 00 00 01 02 03 04 05\n-- result\n0x504030208\n", "mem");
    // r0 = *(u32 *)(r1 + 4); r0 <<= 8; r0 |= r2 ... checks both
    const prog = [I(0x61, 0, 1, 4, 0), I(0x67, 0, 0, 0, 8), I(0x4f, 0, 2, 0, 0), I(0x95, 0, 0, 0, 0)];
    expect(runCase(c, fixed(prog), encodeInsns)).toEqual({ status: "pass" });
  });

  it("skips what the verifier rejects by design and fails the rest", () => {
    const c = parseCase("-- asm\n-- result\n0x0\n", "loop");
    expect(runCase(c, fixed([I(0x05, 0, 0, -1, 0), I(0x95, 0, 0, 0, 0)]), encodeInsns).status).toBe("skip");
  });
});

describe.skipIf(!runSuite)(suiteTitle("bpf_conformance suite (kernel)"), () => {
  it("passes every test except the known kernel-by-design skips", async () => {
    if (suiteMissing) throw new Error(`the bpf_conformance suite is required here but ${suiteMissing}`);
    const { runConformance, formatReport } = await import("../loader/conformance.js");
    const { toolchain } = await import("../loader/conformance-cli.js");
    const { assemble, encode } = await toolchain();
    const r = runConformance(CONFORMANCE_DIR!, assemble, encode);
    const failed = r.results.filter((x) => x.outcome.status === "fail");
    expect(failed.map((x) => `${x.name}: ${(x.outcome as { why: string }).why}`)).toEqual([]);
    const skipped = r.results.filter((x) => x.outcome.status === "skip").map((x) => x.name);
    const shifts = ["arsh32", "arsh64", "lsh32", "lsh64", "rsh32", "rsh64"].flatMap((p) => [
      `${p}-imm-high`,
      `${p}-imm-neg`,
    ]);
    expect(skipped).toEqual(["callx", ...shifts].sort());
    expect(r.passed).toBe(300);
    expect(formatReport(r).trim().split("\n").at(-1)).toBe("300 passed, 0 failed, 13 skipped");
  });
});

describe.skipIf(!runSuite)(suiteTitle("npm run conformance on the suite"), () => {
  it("prints one line per failure and the totals, exit 0 when nothing fails", () => {
    if (suiteMissing) throw new Error(`the bpf_conformance suite is required here but ${suiteMissing}`);
    const r = spawnSync(process.execPath, [CLI_JS, CONFORMANCE_DIR!, "--filter", "^(add|callx)"], {
      encoding: "utf8",
      timeout: 30000,
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("skip 1: callx is not supported by the kernel: callx\n2 passed, 0 failed, 1 skipped\n");
  });
});

describe("npm run conformance, bad invocations", () => {
  const conformance = (...args: string[]) =>
    spawnSync(process.execPath, [CLI_JS, ...args], { encoding: "utf8", timeout: 30000 });

  it("without a folder prints its usage and exits 2", () => {
    const r = conformance();
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^usage: npm run conformance -- <dir> \[--filter RE\] \[--vm\] \[-v\]\n/);
  });

  it("a folder without test files, or a missing one, is an error, not '0 passed'", () => {
    withTempDir("tsebpf-conf-empty-", (dir) => {
      writeFileSync(join(dir, "README"), "not a test\n");
      const empty = conformance(dir);
      expect([empty.status, empty.stdout, empty.stderr]).toEqual([
        2,
        "",
        `conformance: error: ${dir}: no bpf_conformance test files (*.data) in this folder\n`,
      ]);
      const missing = conformance(join(dir, "nope"));
      expect([missing.status, missing.stderr]).toEqual([
        2,
        `conformance: error: ${join(dir, "nope")}: no such directory\n`,
      ]);
    });
  });
});

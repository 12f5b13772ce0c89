// The bpf_conformance suite in the in-process VM (no kernel, no root): every case must pass,
// including the ones the kernel's verifier refuses (callx, out-of-range constant shifts).
// The suite is read from $TSEBPF_CONFORMANCE_DIR or ../shared/conformance/tests.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCase } from "../loader/conformance.js";
import { toolchain } from "../loader/conformance-cli.js";
import { runVmCase } from "../loader/vm/conformance.js";

const DIR = process.env.TSEBPF_CONFORMANCE_DIR ?? new URL("../../shared/conformance/tests", import.meta.url).pathname;
const have = existsSync(DIR);
if (!have) console.log(`vm-conformance: skipped, no suite at ${DIR}`);

describe.skipIf(!have)("bpf_conformance suite (VM)", () => {
  it("passes every case", async () => {
    const { assemble, encode } = await toolchain();
    const files = readdirSync(DIR).filter((f) => f.endsWith(".data")).sort();
    const failed: string[] = [];
    for (const f of files) {
      const c = parseCase(readFileSync(join(DIR, f), "utf8"), f.replace(/\.data$/, ""));
      const o = runVmCase(c, assemble, encode);
      if (o.status !== "pass") failed.push(`${c.name}: ${o.status}: ${o.why}`);
    }
    console.log(`vm-conformance: ${files.length} cases, ${files.length - failed.length} passed, ${failed.length} failed`);
    expect(failed).toEqual([]);
    expect(files.length).toBe(313);
  });
});

// The bpf_conformance suite in the in-process VM (no kernel, no root): every case must pass,
// including the ones the kernel's verifier refuses (callx, out-of-range constant shifts), both
// through the runner and through `npm run conformance -- --vm`. The suite's folder comes from
// TSEBPF_CONFORMANCE_DIR as for the kernel runs (test/conformance.test.ts): skipped with the
// reason without it, failed when CI requires it.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runConformance } from "../loader/conformance.js";
import { toolchain } from "../loader/conformance-cli.js";
import { runVmCase } from "../loader/vm/conformance.js";

const DIR = process.env.TSEBPF_CONFORMANCE_DIR;
const missing = !DIR
  ? "TSEBPF_CONFORMANCE_DIR is not set"
  : !existsSync(DIR)
    ? `TSEBPF_CONFORMANCE_DIR=${DIR} does not exist`
    : undefined;
const required = process.env.TSEBPF_REQUIRE_ORACLES === "1" || process.env.TSEBPF_REQUIRE_CONFORMANCE === "1";
const title = (t: string) => (missing && !required ? `${t} — skipped: ${missing}` : t);
const CLI_JS = new URL("../dist/loader/conformance-cli.js", import.meta.url).pathname;

describe.skipIf(missing !== undefined && !required)("bpf_conformance suite in the VM", () => {
  it(title("passes all 313 cases"), async () => {
    const { assemble, encode } = await toolchain();
    const r = runConformance(DIR!, assemble, encode, undefined, runVmCase);
    const failed = r.results
      .filter((x) => x.outcome.status !== "pass")
      .map((x) => `${x.name}: ${JSON.stringify(x.outcome)}`);
    console.log(
      `vm-conformance: ${r.results.length} cases, ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`,
    );
    expect(failed).toEqual([]);
    expect(r.passed).toBe(313);
  });

  it(title("npm run conformance -- --vm runs callx too (the kernel skips it)"), () => {
    const r = spawnSync(process.execPath, [CLI_JS, DIR!, "--vm", "--filter", "^(add|callx)"], {
      encoding: "utf8",
      timeout: 60000,
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("3 passed, 0 failed, 0 skipped\n");
    expect(r.status).toBe(0);
  });
});

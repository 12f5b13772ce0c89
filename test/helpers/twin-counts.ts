// How many kernel test-runs of this test file the VM also ran and agreed on (`compared`) and how
// many ran in the kernel only (`kernelOnly`: multi-buffer packets, objects the VM refuses); with
// TSEBPF_TWIN_COUNTS=<file> each test file appends "compared kernelOnly" to it after its tests.
import { appendFileSync } from "node:fs";
import { afterAll } from "vitest";

export const twinCounts = { compared: 0, kernelOnly: 0 };
afterAll(() => {
  const file = process.env.TSEBPF_TWIN_COUNTS;
  if (file && twinCounts.compared + twinCounts.kernelOnly)
    appendFileSync(file, `${twinCounts.compared} ${twinCounts.kernelOnly}\n`);
});

// Test gates: kernel tests need root + BPF; oracle tests need Debian's LLVM/bpftool/iproute2.
// Locally they skip with a reason; with TSEBPF_REQUIRE_KERNEL=1 / TSEBPF_REQUIRE_ORACLES=1 (CI)
// a missing capability fails the test instead of skipping it.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

function which(cmd: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function kernelReason(): string | undefined {
  if (process.platform !== "linux") return "not Linux";
  if (typeof process.getuid === "function" && process.getuid() !== 0) return "not root";
  if (!existsSync("/sys/fs/bpf") && !existsSync("/proc/sys/kernel/unprivileged_bpf_disabled"))
    return "no BPF in this kernel";
  return undefined;
}

const kernelMissing = kernelReason();

/** True when kernel tests can run. With TSEBPF_REQUIRE_KERNEL=1 and no kernel, throws at import so the suite fails. */
export const haveKernel: boolean = (() => {
  if (kernelMissing && process.env.TSEBPF_REQUIRE_KERNEL === "1")
    throw new Error(`TSEBPF_REQUIRE_KERNEL=1 but kernel tests cannot run: ${kernelMissing}`);
  return !kernelMissing;
})();

/** True when every named tool is on PATH; with TSEBPF_REQUIRE_ORACLES=1 a missing one throws. */
export function haveTools(...tools: string[]): boolean {
  const missing = tools.filter((t) => !which(t));
  if (missing.length && process.env.TSEBPF_REQUIRE_ORACLES === "1")
    throw new Error(`TSEBPF_REQUIRE_ORACLES=1 but missing: ${missing.join(", ")}`);
  return missing.length === 0;
}

/** Use as `describe.skipIf(!haveKernel)(...)` or `it.skipIf(!haveTools("llvm-mc-19"))(...)`. */
export const kernelSkipReason = kernelMissing ?? "";

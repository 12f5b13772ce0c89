// A private bpf filesystem for tests that pin: mounted on a fresh temporary directory before the
// suite and unmounted (with everything pinned in it) after, also after a failure. Tests never
// depend on /sys/fs/bpf being a bpffs (inside `ip netns exec` or a fresh CI machine it is not).
import { afterAll, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Mount bpffs on a new temporary directory; returns it and a function that removes it. */
export function mountBpffs(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "tsebpf-bpffs-"));
  try {
    execFileSync("mount", ["-t", "bpf", "bpf", dir], { stdio: "pipe" });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `cannot mount a private bpf filesystem on ${dir} (needs root): ${(e as { stderr?: Buffer }).stderr ?? e}`,
    );
  }
  return {
    dir,
    remove() {
      try {
        execFileSync("umount", [dir], { stdio: "ignore" });
      } catch {
        /* not mounted */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Inside a describe(): a private bpffs for the suite's tests; returns a getter for its path. */
export function suiteBpffs(): () => string {
  let m: { dir: string; remove(): void } | undefined;
  beforeAll(() => void (m = mountBpffs()));
  afterAll(() => m?.remove());
  return () => {
    if (!m) throw new Error("suiteBpffs: used outside its suite");
    return m.dir;
  };
}

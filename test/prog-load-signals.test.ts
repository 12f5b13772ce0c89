// BPF_PROG_LOAD while signals arrive: the verifier gives up with EAGAIN when a signal is pending (a
// profiler's SIGPROF every 200 µs here, which failed about half the loads; a terminal's SIGWINCH in
// real life), and the loader tries again as libbpf does instead of reporting "verifier rejected
// program …: EWOULDBLOCK". Runs the built loader in a child node under --cpu-prof.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { haveKernel, kernelSkipReason } from "./helpers/env.js";
import { requireFreshDist } from "./helpers/dist.js";
import { withTempDir } from "./helpers/tmp.js";

const DIST = new URL("../dist/", import.meta.url).href;
const LOADS = `
const { loadObject } = await import(${JSON.stringify(`${DIST}loader/object.js`)});
const { builtinObject } = await import(${JSON.stringify(`${DIST}loader/builtin.js`)});
let ok = 0;
for (let i = 0; i < 20; i++) {
  try {
    loadObject(builtinObject("firewall")).close();
    ok++;
  } catch (e) {
    console.log(e.message.split("\\n")[0]);
  }
}
console.log("loaded", ok);
`;

describe.skipIf(!haveKernel)(`PROG_LOAD under a signal storm ${kernelSkipReason}`, () => {
  requireFreshDist();
  it("every load succeeds while SIGPROF arrives every 200 µs", () => {
    const r = withTempDir("tsebpf-sigprof-", (dir) =>
      spawnSync(
        process.execPath,
        ["--cpu-prof", "--cpu-prof-dir", dir, "--cpu-prof-interval", "200", "--input-type=module", "-e", LOADS],
        { encoding: "utf8", cwd: join(dir) },
      ),
    );
    expect([r.stderr, r.stdout]).toEqual(["", "loaded 20\n"]);
  }, 60_000);
});

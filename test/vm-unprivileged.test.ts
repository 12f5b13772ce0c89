// Testing without privileges (issue 11 §3, §6): README's example test file (examples/
// firewall.test.ts, copied byte for byte into a fresh project that depends on tsebpf) runs under
// vitest, and `tsebpf test` runs a DSL program and a clang object from fixtures/ — with --vm and,
// automatically, without it. As uid 65534 with no capabilities (setpriv) when the suite runs as
// root; as the current user otherwise.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveTools } from "./helpers/env.js";

const ROOT = resolve(".");
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
const dropped = asRoot && haveTools("setpriv");
const PACKETS = join(ROOT, "fixtures/packets/firewall.pcap");

/** Run a command as uid/gid 65534, no groups, no capabilities at all (or as we are). */
function unprivileged(cmd: string, args: string[], cwd: string) {
  const drop = [
    `--reuid=${NOBODY}`,
    `--regid=${NOBODY}`,
    "--clear-groups",
    "--inh-caps=-all",
    "--bounding-set=-all",
    "--no-new-privs",
  ];
  const [c, a] = dropped ? ["setpriv", [...drop, cmd, ...args]] : [cmd, args];
  return spawnSync(c, a, {
    cwd,
    encoding: "utf8",
    timeout: 240_000,
    env: { PATH: process.env.PATH, HOME: cwd, NO_COLOR: "1", CI: "1" },
  });
}

describe(`without privileges (${dropped ? "uid 65534, no capabilities" : "as the current user"})`, () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tsebpf-unpriv-"));
    for (const d of ["node_modules", "programs", "test"]) mkdirSync(join(dir, d));
    copyFileSync(join(ROOT, "examples/firewall.test.ts"), join(dir, "test/firewall.test.ts"));
    copyFileSync(join(ROOT, "programs/firewall.ts"), join(dir, "programs/firewall.ts"));
    symlinkSync(ROOT, join(dir, "node_modules/tsebpf"));
    symlinkSync(realpathSync(join(ROOT, "node_modules/vitest")), join(dir, "node_modules/vitest"));
    if (dropped)
      for (const p of ["", "node_modules", "programs", "test", "test/firewall.test.ts", "programs/firewall.ts"])
        chownSync(join(dir, p), NOBODY, NOBODY);
    chmodSync(dir, 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("README's example test file passes under vitest, importing tsebpf/testing", () => {
    expect(readFileSync(join(dir, "test/firewall.test.ts"), "utf8")).toMatch(/from "tsebpf\/testing"/);
    const r = unprivileged(process.execPath, [join(dir, "node_modules/vitest/vitest.mjs"), "run", "--root", dir], dir);
    expect(r.stdout + r.stderr).toMatch(/Tests\s+3 passed \(3\)/);
    expect(r.status).toBe(0);
  });

  it.each([
    ["a DSL program", join(ROOT, "programs/firewall.ts"), ["XDP_DROP", "XDP_PASS", "XDP_PASS"]],
    ["a clang object", join(ROOT, "fixtures/c/firewall.clang19-g.o"), ["XDP_DROP", "XDP_PASS", "XDP_PASS"]],
  ])("tsebpf test --vm on %s", (_what, program, verdicts) => {
    const block = program.endsWith(".o") ? "0x036433c6" : "198.51.100.3"; // the clang twin keys network order
    const r = unprivileged(
      process.execPath,
      [join(ROOT, "bin/tsebpf.js"), "test", program, "--vm", "--map", "BLOCKLIST", `${block}=1`, "--packet", PACKETS],
      dir,
    );
    expect(r.stderr).toBe("");
    const lines = r.stdout.split("\n").filter(Boolean);
    expect(lines.filter((l) => l.startsWith("packet ")).map((l) => l.split(/\s+/)[2])).toEqual(verdicts);
    // the dropped packet's event record (the source address) is shown under it, as the kernel path shows it
    expect(lines[1]).toMatch(program.endsWith(".o") ? /^ {2}EVENTS: \{"hex":"c6336403"\}$/ : /^packet 2:/);
    expect(r.status).toBe(0);
  });

  it.skipIf(!dropped)("tsebpf test without --vm falls back to the VM with one note saying why", () => {
    const r = unprivileged(
      process.execPath,
      [join(ROOT, "bin/tsebpf.js"), "test", join(ROOT, "programs/firewall.ts"), "--packet", PACKETS],
      dir,
    );
    expect(r.stderr).toMatch(
      /^note: the kernel refused BPF: .*\(EPERM\).*; running in the in-process VM instead \(as --vm does\)\n$/,
    );
    expect(r.stdout).toMatch(/^packet 1: XDP_PASS .*\npacket 2: XDP_PASS .*\npacket 3: XDP_PASS .*\n$/);
  });
});

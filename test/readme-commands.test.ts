// README's "The main job" commands run as written (from a scratch directory that links the
// repository's bin/, dist/, programs/ and fixtures/, so `build` leaves no out.o behind), and the
// sample packets it uses, fixtures/packets/*.pcap, are what the helpers build (UPDATE_FIXTURES=1
// rewrites them); a dist/ older than its sources is reported (e2e, conformance and snapshot tests
// refuse to run it).
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { haveKernel } from "./helpers/env.js";
import { distStaleness, requireFreshDist } from "./helpers/dist.js";
import { frame, pcapFile } from "./helpers/packets.js";
import { expectGolden } from "./helpers/golden.js";
import { withTempDir } from "./helpers/tmp.js";

requireFreshDist();
const ROOT = new URL("..", import.meta.url).pathname;

/** The samples: the firewall's blocked source, an allowed one, and a TCP packet from elsewhere. */
const SAMPLES: Record<string, Uint8Array[]> = {
  "firewall.pcap": [
    frame({ src: "198.51.100.3" }),
    frame({ src: "198.51.100.1" }),
    frame({ src: "203.0.113.7", proto: 6, dstPort: 443 }),
  ],
};

describe("sample packets", () => {
  for (const [name, packets] of Object.entries(SAMPLES)) {
    it(`fixtures/packets/${name} is what the helpers build`, () =>
      expectGolden(`fixtures/packets/${name}`, pcapFile(packets)));
  }

  it("ships with the package (package.json files)", () => {
    expect(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).files).toContain("fixtures/packets");
  });
});

/** The commands of README's "The main job" block that need no interface (not `run`), without `sudo` (tests run as root). */
function readmeCommands(): string[] {
  const text = readFileSync(join(ROOT, "README.md"), "utf8");
  const block = /## The main job\n\n```sh\n([\s\S]*?)```/.exec(text)?.[1];
  if (!block) throw new Error("README has no 'The main job' sh block");
  return block
    .split("\n")
    .map((l) =>
      l
        .replace(/\s+#.*$/, "")
        .replace(/^sudo /, "")
        .trim(),
    )
    .filter((l) => l.startsWith("./bin/tsebpf ") && !l.includes(" run "));
}

describe("README's commands", () => {
  it("lists build, objdump and test with a packet file that exists", () => {
    const cmds = readmeCommands();
    expect(cmds.map((c) => c.split(" ")[1])).toEqual(["build", "objdump", "test"]);
    expect(cmds.join("\n")).not.toContain("…");
  });

  it.skipIf(!haveKernel)("run as written and give the verdicts README shows", () => {
    withTempDir("tsebpf-readme-", (dir) => {
      for (const d of ["bin", "dist", "programs", "fixtures", "node_modules", "package.json"])
        symlinkSync(join(ROOT, d), join(dir, d));
      const out = readmeCommands().map((c) => {
        const r = spawnSync("sh", ["-c", c], { cwd: dir, encoding: "utf8", timeout: 60000 });
        expect([c, r.status, r.stderr]).toEqual([c, 0, ""]);
        return r.stdout;
      });
      expect(out[1]).toMatch(/<xdp_hello>:/);
      expect(out[2]).toMatch(
        /^packet 1: XDP_DROP +\d+ ns\/packet\npacket 2: XDP_PASS +\d+ ns\/packet\npacket 3: XDP_PASS +\d+ ns\/packet\n$/,
      );
    });
  });
});

describe("stale dist/", () => {
  it("is reported: a missing output, or a source newer than its output", () => {
    withTempDir("tsebpf-stale-", (root) => {
      mkdirSync(join(root, "loader"));
      mkdirSync(join(root, "dist/loader"), { recursive: true });
      writeFileSync(join(root, "loader/a.ts"), "export {};\n");
      expect(distStaleness(root)).toBe("dist/loader/a.js is missing");
      writeFileSync(join(root, "dist/loader/a.js"), "export {};\n");
      utimesSync(join(root, "dist/loader/a.js"), 1000, 1000);
      expect(distStaleness(root)).toBe("loader/a.ts is newer than dist/loader/a.js");
      utimesSync(join(root, "loader/a.ts"), 900, 900);
      expect(distStaleness(root)).toBeUndefined();
    });
  });
});

// `tsebpf build -v`: one line per DSL program with its instruction slots and the verifier-work
// estimate (backend/verifier-cost.ts); without -v the build prints nothing. The estimate of every
// example program (and global function: programs/vlanfw.ts) stays far below the kernel's 1,000,000 instructions.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "./helpers/cli.js";
import { withTempDir } from "./helpers/tmp.js";

const LINE =
  /^(\w+)(?: \(global function, verified on its own\))?: (\d+) instruction slots; the verifier checks about (\d+) instructions \(estimated; limit 1000000, refused above 500000\); (\d+) maps? of 64$/;

describe("build -v", () => {
  it("prints each program's slots and verifier estimate; plain build prints nothing", async () => {
    await withTempDir("tsebpf-verbose", async (dir) => {
      const o = join(dir, "x.o");
      const quiet = await cli("build", "programs/tcpopts.ts", "-o", o);
      expect(quiet).toMatchObject({ code: 0, out: "", err: "" });
      const r = await cli("build", "programs/tcpopts.ts", "-o", o, "-v");
      expect(r.code).toBe(0);
      const m = LINE.exec(r.out.trim());
      expect(m?.[1]).toBe("xdp_tcpopts");
      expect(Number(m![3])).toBeGreaterThan(Number(m![2]) / 4);
    });
  });

  it("every example program's estimate is far below the kernel's limit", async () => {
    await withTempDir("tsebpf-verbose", async (dir) => {
      for (const f of readdirSync("programs").filter((x) => x.endsWith(".ts"))) {
        const r = await cli("build", join("programs", f), "-o", join(dir, "x.o"), "-v");
        expect(r.code, f).toBe(0);
        for (const line of r.out.trim().split("\n")) expect(Number(LINE.exec(line)?.[3]), line).toBeLessThan(100_000);
      }
    });
  });
});

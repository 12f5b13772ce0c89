// QA regressions for CLI bad-input handling: one clear line, non-zero exit, never "internal error".
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../cli/main.js";
import type { Io } from "../cli/io.js";
import { haveKernel } from "./helpers/env.js";

async function cli(...argv: string[]): Promise<{ code: number; err: string }> {
  let err = "";
  const io: Io = { stdout: () => {}, stderr: (s) => void (err += s), isTTY: false, env: {}, cwd: process.cwd() };
  return { code: await main(argv, io), err };
}

describe("qa: CLI file errors", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tsebpf-qa-cli-"));
    writeFileSync(join(dir, "p.s"), '\t.section "xdp/xdp_t","ax"\n\t.globl xdp_t\nxdp_t:\n\tr0 = 2\n\texit\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("build -o naming a directory is one clear line, exit 1", async () => {
    mkdirSync(join(dir, "d.o"));
    const r = await cli("build", join(dir, "p.s"), "-o", join(dir, "d.o"));
    expect(r.code).toBe(1);
    expect(r.err).toBe(`tsebpf: error: ${join(dir, "d.o")}: is a directory\n`);
  });

  it("build -o under a regular file (ENOTDIR) is one clear line, exit 1", async () => {
    const r = await cli("build", join(dir, "p.s"), "-o", join(dir, "p.s", "x.o"));
    expect(r.code).toBe(1);
    expect(r.err).toBe(`tsebpf: error: ${join(dir, "p.s", "x.o")}: not a directory\n`);
    expect(existsSync(join(dir, "out.o"))).toBe(false);
  });
});

describe.skipIf(!haveKernel)("qa: tsebpf test --map", () => {
  it("an entry without '=value' says so (was: 'no map of that name' for the address)", async () => {
    const fw = new URL("../programs/firewall.ts", import.meta.url).pathname;
    const r = await cli("test", fw, "--map", "BLOCKLIST", "198.51.100.3", "--packet", "00112233445566778899aabb0800");
    expect(r.code).toBe(1);
    expect(r.err).toBe("tsebpf: error: --map '198.51.100.3': an entry needs a value (key=value, e.g. 198.51.100.3=1)\n");
  });
});

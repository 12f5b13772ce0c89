// programs/ratelimit.ts, a token bucket per source with a config<u32> limit, a .rodata port list
// and .bss counters: in the VM (its clock moved by hand) and in the kernel (a burst through
// test-run's repeat), with --set MAX_PPS; its C twin (fixtures/c-twins/ratelimit.o, the same
// limit as a const volatile) gives the same verdicts and counters; bpftool loads our object and
// prints the globals by name.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { loadXdp } from "../loader/vm/testing.js";
import { frame } from "./helpers/packets.js";
import { cli } from "./helpers/cli.js";
import { compileDsl } from "./helpers/dsl.js";
import { haveKernel, haveTools } from "./helpers/env.js";
import { withTempDir } from "./helpers/tmp.js";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

const PROGRAM = "programs/ratelimit.ts";
const TWIN = "fixtures/c-twins/ratelimit.o";
const A = frame({ proto: 6, src: "198.51.100.7" });
const B = frame({ proto: 6, src: "198.51.100.8" });
const DNS = frame({ proto: 17, src: "198.51.100.7", dstPort: 53 });
const SECOND = 1_000_000_000n;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("ratelimit in the VM", () => {
  it("passes a burst of MAX_PPS per source, then one packet per 1/MAX_PPS s; DNS always passes", () => {
    const t = loadXdp(PROGRAM, { set: { MAX_PPS: 3 }, clockNs: 5n * SECOND });
    const verdicts = (pkts: Uint8Array[]) => pkts.map((p) => t.run(p).verdict.replace("XDP_", ""));
    expect(verdicts([A, A, A, A, A, B, DNS])).toEqual(["PASS", "PASS", "PASS", "DROP", "DROP", "PASS", "PASS"]);
    t.clock += SECOND / 3n + 1n; // one token earned
    expect(verdicts([A, A])).toEqual(["PASS", "DROP"]);
    t.clock += 10n * SECOND; // a full bucket, no more
    expect(verdicts([A, A, A, A])).toEqual(["PASS", "PASS", "PASS", "DROP"]);
    expect(t.run(B).globals).toMatchObject({ passed: 9, dropped: 4, MAX_PPS: 3 });
  });

  it("keeps 1000 a second by default", () => {
    const t = loadXdp(PROGRAM);
    for (let i = 0; i < 1000; i++) t.run(A);
    expect(t.run(A).verdict).toBe("XDP_DROP");
    expect(t.run(A).globals).toMatchObject({ passed: 1000, dropped: 2 });
  });
});

describe.skipIf(!haveKernel)("ratelimit in the kernel", () => {
  /** A burst of `repeat` copies of one packet (test-run's repeat), as `tsebpf test --json` reports it. */
  async function burst(program: string, maxPps: number, repeat: number, pkt = A) {
    const set = ["--set", `MAX_PPS=${maxPps}`];
    const r = await cli("test", program, ...set, "--packet", hex(pkt), "--repeat", String(repeat), "--json");
    expect(r.err).toBe("");
    const j = JSON.parse(r.out) as { results: { verdict: string }[]; globals: Record<string, Record<string, unknown>> };
    return { verdict: j.results[0]!.verdict, bss: j.globals["ratelimi.bss"] };
  }

  it("drops what a source sends beyond MAX_PPS, counts both, as its C twin does", async () => {
    for (const program of [PROGRAM, TWIN]) {
      expect(await burst(program, 3, 10)).toEqual({ verdict: "XDP_DROP", bss: { passed: 3, dropped: 7 } });
      expect(await burst(program, 50, 10)).toEqual({ verdict: "XDP_PASS", bss: { passed: 10, dropped: 0 } });
      expect(await burst(program, 1, 10, DNS)).toEqual({ verdict: "XDP_PASS", bss: { passed: 0, dropped: 0 } });
    }
  });

  it.skipIf(!haveTools("bpftool"))("bpftool loads the object and dumps the globals by name", () => {
    const obj = compileDsl(readFileSync(PROGRAM, "utf8"), PROGRAM, { sectionStyle: "libbpf" });
    withTempDir("tsebpf-ratelimit-", (dir) => {
      const file = join(dir, "ratelimit.o");
      writeFileSync(file, obj);
      const pin = `/sys/fs/bpf/tsebpf_rl_${randomBytes(4).toString("hex")}`;
      execFileSync("bpftool", ["prog", "load", file, pin]);
      try {
        const info = JSON.parse(execFileSync("bpftool", ["-j", "prog", "show", "pinned", pin], { encoding: "utf8" }));
        const dumps = (info.map_ids as number[]).map((id) =>
          execFileSync("bpftool", ["map", "dump", "id", String(id)], { encoding: "utf8" }),
        );
        const all = dumps.join("\n");
        expect(all).toMatch(/"MAX_PPS": 1000/);
        expect(all).toMatch(/"EXEMPT": \[53,123,67,68\s*\]/);
        expect(all).toMatch(/"passed": 0/);
        expect(all).toMatch(/"dropped": 0/);
      } finally {
        execFileSync("rm", ["-f", pin]);
      }
    });
  });
});

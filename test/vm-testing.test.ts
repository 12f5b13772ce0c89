// The test API (tsebpf/testing): testXdp / loadXdp on DSL sources, assembly and clang objects —
// verdict, output packet, map contents after the run (per-CPU maps per CPU), logs, other ring
// records, the virtual clock — and its errors (build diagnostics, unknown maps, bad keys).
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ipv4, loadXdp, testXdp, XdpBuildError } from "../loader/vm/testing.js";
import { suiteDir } from "./helpers/tmp.js";
import { frame, ip4 } from "./helpers/packets.js";

const BLOCKED = "198.51.100.7";

describe("testXdp", () => {
  const f = suiteDir("tsebpf-testing-", (f) => {
    writeFileSync(
      f("bad.ts"),
      `import { XdpContext, XdpAction } from "tsebpf";\nexport function xdp_bad(ctx: XdpContext): XdpAction {\n  return nope;\n}\n`,
    );
    writeFileSync(
      f("clock.ts"),
      `import { XdpContext, XdpAction, ktimeNs, info } from "tsebpf";
export function xdp_clock(ctx: XdpContext): XdpAction {
  info(\`now \${ktimeNs()}\`);
  return XdpAction.Pass;
}
`,
    );
  });

  it("runs programs/firewall.ts: verdict, packet, BLOCKLIST after the run, the decoded log line", async () => {
    const packet = frame({ src: BLOCKED });
    const r = await testXdp("programs/firewall.ts", { packet, maps: { BLOCKLIST: [[BLOCKED, 1]] } });
    expect(r).toMatchObject({ verdict: "XDP_DROP", retval: 1, packet });
    expect(r.maps).toEqual({ BLOCKLIST: [[ipv4(BLOCKED), 1]] });
    expect(r.logs).toEqual([{ level: "INFO", program: "xdp_firewall", message: `SRC: ${BLOCKED}, ACTION: 1` }]);
    const pass = await testXdp("programs/firewall.ts", {
      packet: Buffer.from(frame()).toString("hex"),
      maps: { BLOCKLIST: [[ip4(BLOCKED), 1]] },
    });
    expect(pass.verdict).toBe("XDP_PASS");
  });

  it("keeps maps across runs of one loaded program; per-CPU values per CPU", () => {
    const t = loadXdp("programs/counters.ts", { cpus: 2, cpu: 1 });
    for (const proto of [6, 6, 17]) t.run(frame({ proto }));
    const counters = new Map(t.run(frame({ proto: 1 })).maps.COUNTERS.map(([k, v]) => [k, v]));
    expect(counters.get(6)).toEqual([0n, 2n]);
    expect(counters.get(17)).toEqual([0n, 1n]);
    expect(counters.get(1)).toEqual([0n, 1n]);
    expect(counters.get(2)).toEqual([0n, 0n]);
  });

  it("runs clang objects (path or bytes) and moves the virtual clock", () => {
    const fw = loadXdp(new Uint8Array(readFileSync("fixtures/c/firewall.clang19-g.o")));
    expect(fw.run(frame()).verdict).toBe("XDP_PASS");
    const c = loadXdp(f("clock.ts"), { clockNs: 5_000 });
    expect(c.run(frame()).logs[0].message).toBe("now 5000");
    c.clock = 123_456_789_000n;
    expect(c.run(frame()).logs[0].message).toBe("now 123456789000");
  });

  it("says what is wrong: build errors with file:line:col, unknown maps, keys that do not fit", async () => {
    await expect(testXdp(f("bad.ts"), { packet: frame() })).rejects.toThrow(XdpBuildError);
    await expect(testXdp(f("bad.ts"), { packet: frame() })).rejects.toThrow(
      /bad\.ts:3:10: error TS2304: Cannot find name 'nope'/,
    );
    expect(() => loadXdp("programs/firewall.ts", { maps: { NOPE: [] } })).toThrow(
      "no map named 'NOPE' (have: BLOCKLIST, TSEBPF_LOGS, TSEBPF_DROPS)",
    );
    expect(() => loadXdp("programs/firewall.ts", { maps: { TSEBPF_LOGS: [] } })).toThrow(
      "map TSEBPF_LOGS is a ringbuf; only key/value maps take entries",
    );
    expect(() => loadXdp("programs/firewall.ts", { maps: { BLOCKLIST: [[2 ** 32, 1]] } })).toThrow(
      "map BLOCKLIST: key 4294967296 does not fit 4 byte(s)",
    );
    expect(() => loadXdp("programs/firewall.ts", { maps: { BLOCKLIST: [["example.org", 1]] } })).toThrow(
      "map BLOCKLIST: key 'example.org': not an IPv4 address",
    );
    expect(() => loadXdp("programs/firewall.ts", { maps: { BLOCKLIST: [[new Uint8Array(3), 1]] } })).toThrow(
      "map BLOCKLIST: key 0,0,0: 3 bytes given, the key is 4 bytes",
    );
  });
});

// The DSL's Ipv6Addr (issue 8 §6): Ipv6Hdr.srcAddr/dstAddr copied to locals, compared with
// ===/!==, used as hash map keys and LpmTrie<Ipv6Addr, V> keys ({prefixlen 128, 16 bytes}), logged
// with ipv6(); programs/cidr6.ts blocks IPv6 and IPv4 CIDRs given with --map, in the kernel and in
// the VM with the same verdicts, map contents and log lines; the checker's diagnostics.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadXdp } from "../loader/vm/testing.js";
import { parseIpv6 } from "../loader/ip-addr.js";
import { cli } from "./helpers/cli.js";
import { checkDiags, compileDsl } from "./helpers/dsl.js";
import { haveKernel, haveTools } from "./helpers/env.js";
import { frame, frame6 } from "./helpers/packets.js";
import { run, readLogs, withObject } from "./helpers/run.js";
import { withTempDir } from "./helpers/tmp.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const CIDR6 = readFileSync("programs/cidr6.ts", "utf8");
const MAPS = ["--map", "CIDR6", "2001:db8:bad::/48=1", "--map", "CIDR4", "198.51.100.0/25=1"];
const PACKETS: [Uint8Array, string][] = [
  [frame6("2001:db8:bad::1", "2001:db8::2"), "XDP_DROP"],
  [frame6("2001:db8:bad:1::7", "2001:db8::2"), "XDP_DROP"],
  [frame6("2001:db8:bae::1", "2001:db8::2"), "XDP_PASS"],
  [frame6("2001:db8::1", "2001:db8:bad::1"), "XDP_PASS"],
  [frame({ src: "198.51.100.7" }), "XDP_DROP"],
  [frame({ src: "198.51.100.200" }), "XDP_PASS"],
  [frame({ src: "203.0.113.1" }), "XDP_PASS"],
];

async function verdicts(engine: string[]): Promise<string[]> {
  return withTempDir("tsebpf-cidr6-", (dir) => verdictsIn(dir, engine));
}

async function verdictsIn(dir: string, engine: string[]): Promise<string[]> {
  const files = PACKETS.map(([p], i) => {
    const f = join(dir, `p${i}.bin`);
    writeFileSync(f, p);
    return f;
  });
  const r = await cli("test", "programs/cidr6.ts", ...engine, "--json", ...MAPS, "--packet", ...files);
  expect(r.err).toBe("");
  return (JSON.parse(r.out) as { results: { verdict: string }[] }).results.map((x) => x.verdict);
}

const SRC = `import { Ipv6Hdr, Ipv6Addr, HashMap, ipv6 } from "tsebpf";
export const SEEN = new HashMap<Ipv6Addr, u32>(16);
export function xdp_t(ctx: XdpContext): XdpAction {
  const ip = ctx.header(Ipv6Hdr, EthHdr.size);
  if (ip === null) return XdpAction.Aborted;
  const a = ip.srcAddr;
  const b = ip.dstAddr;
  SEEN.set(b, 7);
  info(\`\${ipv6(a)} -> \${ipv6(ip.dstAddr)} \${ip.hopLimit}\`);
  if (a === b) return XdpAction.Drop;
  if (a !== ip.srcAddr) return XdpAction.Aborted;
  return SEEN.has(a) ? XdpAction.Tx : XdpAction.Pass;
}`;

describe("Ipv6Addr", () => {
  const obj = () => compileDsl(SRC.replace("import {", "import { XdpContext, XdpAction, EthHdr, u32, info,"), "t.ts");
  const cases: [Uint8Array, number, string][] = [
    [frame6("2001:db8::1", "2001:db8::1"), 1, "2001:db8::1 -> 2001:db8::1 64"],
    [frame6("2001:db8::1", "2001:db8:0:1::1"), 3, "2001:db8::1 -> 2001:db8:0:1::1 64"], // seen as a destination
    [frame6("2001:db8::1:0:0:1", "2001:db8::1"), 2, "2001:db8::1:0:0:1 -> 2001:db8::1 64"],
    [frame6("2001:db8:ffff::", "2001:db8:ffff::1"), 2, "2001:db8:ffff:: -> 2001:db8:ffff::1 64"],
  ];

  it.skipIf(!haveKernel)("compares (both halves), keys a hash map and logs RFC 5952 text in the kernel", () => {
    withObject(obj(), (o) => {
      for (const [p, want, log] of cases) {
        expect(run(o, p)).toBe(want);
        expect(readLogs(o)).toEqual([log]);
      }
      const keys = [...o.map("SEEN")!.keys()].map(hex).sort();
      expect(keys).toEqual([
        "20010db8000000000000000000000001",
        "20010db8000000010000000000000001",
        "20010db8ffff00000000000000000001",
      ]);
    });
  });

  it("the VM agrees", () => {
    const t = loadXdp(obj());
    for (const [p, want, log] of cases) {
      const r = t.run(p);
      expect(r.retval).toBe(want);
      expect(r.logs.map((l) => l.message)).toEqual([log]);
    }
  });

  it("diagnostics: integers, other formatters, plain ${}, header writes, LpmTrie keys", () => {
    const d = (body: string, top = "") =>
      checkDiags(`import { Ipv6Hdr, Ipv6Addr, LpmTrie, ipv4, ipv6 } from "tsebpf";\n${top}
export function xdp_t(ctx: XdpContext): XdpAction {
  const ip = ctx.header(Ipv6Hdr, 0);
  if (ip === null) return XdpAction.Pass;
  ${body}
  return XdpAction.Pass;
}`);
    expect(d("if (ip.srcAddr === 1) return XdpAction.Drop;")).toEqual([
      "TS2367 This comparison appears to be unintentional because the types 'Ipv6Addr' and 'u32' have no overlap.",
    ]);
    expect(d("if (ip.srcAddr < ip.dstAddr) return XdpAction.Drop;")[0]).toMatch(/^TS2367 /);
    expect(d("info(`${ipv4(ip.srcAddr)}`);")).toEqual(["TSB9014 ipv4() takes an integer, not 'Ipv6Addr'."]);
    expect(d("info(`${ipv6(ip.hopLimit)}`);")).toEqual(["TSB9014 ipv6() takes an Ipv6Addr, not 'u8'."]);
    expect(d("info(`${ip.srcAddr}`);")[0]).toMatch(/Log arguments must be integers.*ipv6\(x\).*got 'Ipv6Addr'/);
    expect(d("ip.srcAddr = ip.dstAddr;")).toEqual([]); // a whole address is written (test/dsl-struct-values)
    expect(d("ip.srcAddr = ip.hopLimit;")).toEqual(["TS2322 Type 'u8' is not assignable to type 'Ipv6Addr'."]);
    expect(d("", "interface K { a: u32 }\nexport const T = new LpmTrie<K, u32>(8);")).toEqual([
      "TSB9013 LpmTrie keys must be integer or Ipv6Addr types, not 'K'.",
    ]);
  });
});

describe("programs/cidr6.ts", () => {
  it.skipIf(!haveKernel)("blocks IPv6 and IPv4 CIDRs from --map in the kernel; the VM agrees", async () => {
    const want = PACKETS.map(([, v]) => v);
    expect(await verdicts([])).toEqual(want);
    expect(await verdicts(["--vm"])).toEqual(want);
  });

  it("the VM: drop counts per IPv6 source and log lines", () => {
    const t = loadXdp(compileDsl(CIDR6, "cidr6.ts"), {
      maps: { CIDR6: [["2001:db8:bad::/48", 1]], CIDR4: [["198.51.100.0/25", 1]] },
    });
    const logs = PACKETS.flatMap(([p]) => t.run(p).logs.map((l) => l.message));
    expect(logs).toEqual(["drop 2001:db8:bad::1", "drop 2001:db8:bad:1::7", "drop 198.51.100.7"]);
    const drops = t.run(PACKETS[0]![0]).maps.DROPS6!.map(([k, v]) => [hex(k as Uint8Array), v]);
    expect(drops.sort()).toEqual([
      ["20010db80bad00000000000000000001", 2n],
      ["20010db80bad00010000000000000007", 1n],
    ]);
  });

  it.skipIf(!haveKernel || !haveTools("bpftool"))("bpftool map dump prints the LPM key struct and Ipv6Addr", () => {
    withObject(compileDsl(CIDR6, "cidr6.ts"), (o) => {
      const key = new Uint8Array(20);
      new DataView(key.buffer).setUint32(0, 48, true);
      key.set(parseIpv6("2001:db8:bad::")!, 4);
      o.map("CIDR6")!.set(key, new Uint8Array([1, 0, 0, 0]));
      expect(run(o, PACKETS[0]![0])).toBe(1);
      const dump = (name: string) =>
        spawnSync("bpftool", ["map", "dump", "id", String(o.map(name)!.id()), "-j"], { encoding: "utf8" }).stdout;
      expect(dump("CIDR6")).toContain('"prefixlen":48');
      expect(dump("DROPS6")).toContain('"addr":[32,1,13,184,11,173,0,0,0,0,0,0,0,0,0,1]');
    });
  });
});

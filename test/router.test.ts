// programs/router.ts and fibLookup (bpf_fib_lookup): the same packets in the VM against a route table
// and in the kernel's BPF_PROG_TEST_RUN inside a router namespace with the same routes and
// neighbours (verdicts and output packets agree: TTL/hop limit decremented, IPv4 checksum updated,
// MACs rewritten), the VM's codes for the cases of net/core/filter.c it covers, and live UDP
// traffic forwarded by the router from one namespace to another (counted where it arrives).
import { execFileSync, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadObject, type LoadedObject } from "../loader/object.js";
import { exited } from "../loader/testbed.js";
import { objPin } from "../loader/sys/bpf.js";
import { XdpVm } from "../loader/vm/xdp.js";
import type { FibRoute } from "../loader/vm/fib.js";
import { writeFileSync } from "node:fs";
import { suiteBpffs } from "./helpers/bpffs.js";
import { suiteDir } from "./helpers/tmp.js";
import { BIN } from "./helpers/cli.js";
import { buildProgram, compileDsl } from "./helpers/dsl.js";
import { haveKernel } from "./helpers/env.js";
import { frame, frame6, u32le } from "./helpers/packets.js";
import { MAC, routedNets, type Routed } from "./helpers/routed.js";

const router = buildProgram("router");
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const macBytes = (m: string) => m.split(":").map((x) => Number.parseInt(x, 16));

/** The router namespace's table as VM routes (ra and rb: their ifindexes there). */
function vmRoutes(ra: number, rb: number): FibRoute[] {
  const iface = { ifindex: rb, smac: MAC.rb };
  return [
    { dst: "198.51.100.0/24", ifindex: ra, smac: MAC.ra },
    { dst: "198.51.100.1", type: "local" },
    { dst: "203.0.113.0/24", ...iface },
    { dst: "203.0.113.2", ...iface, dmac: MAC.h2 }, // the neighbour the router knows
    { dst: "203.0.113.1", type: "local" },
    { dst: "203.0.113.128/25", type: "blackhole" },
    { dst: "203.0.113.64/26", type: "unreachable" },
    { dst: "2001:db8:1::/64", ifindex: ra, smac: MAC.ra, metric: 256 },
    { dst: "2001:db8:2::/64", ...iface, metric: 256 },
    { dst: "2001:db8:2::2", ...iface, dmac: MAC.h2, metric: 256 },
  ];
}

const ttl1 = frame({ dst: "203.0.113.2" });
ttl1[22] = 1;
const big = frame({ dst: "203.0.113.2" });
new DataView(big.buffer).setUint16(16, 1600); // totalLen beyond the 1500-byte MTU
/** Name, packet, verdict, STATS index counted (undefined: no lookup). */
const CASES: [string, Uint8Array, string, number | undefined][] = [
  ["forwarded", frame({ dst: "203.0.113.2" }), "XDP_REDIRECT", 0],
  ["no neighbour", frame({ dst: "203.0.113.9" }), "XDP_PASS", 7],
  ["local address", frame({ dst: "203.0.113.1" }), "XDP_PASS", 4],
  ["blackhole", frame({ dst: "203.0.113.200" }), "XDP_PASS", 1],
  ["unreachable", frame({ dst: "203.0.113.70" }), "XDP_PASS", 2],
  ["too big", big, "XDP_PASS", 8],
  ["TTL 1", ttl1, "XDP_PASS", undefined],
  ["IPv6 forwarded", frame6("2001:db8:1::2", "2001:db8:2::2"), "XDP_REDIRECT", 0],
  ["IPv6 no neighbour", frame6("2001:db8:1::2", "2001:db8:2::9"), "XDP_PASS", 7],
  ["IPv6 no route", frame6("2001:db8:1::2", "2001:db8:ff::1"), "XDP_PASS", 4],
];

describe("programs/router.ts in the VM", () => {
  const vm = new XdpVm(XdpVm.fromElf(router).model, { routes: vmRoutes(2, 3), ingressIfindex: 2 });

  it.each(CASES)("%s", (_name, pkt, verdict, counted) => {
    const stats = () =>
      [...Array(16).keys()].map((k) => Buffer.from(vm.map("STATS").lookup(u32le(k), 0)!).readBigUInt64LE(0));
    const before = stats();
    const r = vm.run(pkt);
    expect(["XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"][r.verdict]).toBe(verdict);
    const changed = stats().flatMap((n, k) => (n === before[k]! + 1n ? [k] : n === before[k] ? [] : [-1]));
    expect(changed).toEqual(counted === undefined ? [] : [counted]);
    if (verdict !== "XDP_REDIRECT") return expect(hex(r.packet)).toBe(hex(pkt));
    expect(r.redirect).toEqual({ ifindex: 3 });
    expect([...r.packet.subarray(0, 12)]).toEqual([...macBytes(MAC.h2), ...macBytes(MAC.rb)]);
    const v6 = pkt[12] === 0x86;
    expect(r.packet[v6 ? 21 : 22]).toBe(63);
    if (!v6) expect(ipSum(r.packet.subarray(14, 34))).toBe(0xffff); // the header checksum still holds
  });
});

/** The one's complement sum of an IPv4 header (0xffff when its checksum is right). */
function ipSum(h: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < h.length; i += 2) s += (h[i]! << 8) | h[i + 1]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

const FIB_SRC = `import { XdpContext, XdpAction, ArrayMap, u32, i32, fibLookup, AF_INET, BPF_FIB_LOOKUP_SKIP_NEIGH } from "tsebpf";
export const OUT = new ArrayMap<u32, u32>(8);
export function xdp_fib(ctx: XdpContext): XdpAction {
  const a = fibLookup(ctx, { family: 7, ifindex: 1, ipv4Dst: 0xcb007102 }, 0);
  const b = fibLookup(ctx, { family: AF_INET, ifindex: 0, ipv4Dst: 0xcb007102 }, 0);
  const c = fibLookup(ctx, { family: AF_INET, ifindex: 1, ipv4Dst: 0xcb007102 }, 1 << 20);
  const d = fibLookup(ctx, { family: AF_INET, ifindex: 1, ipv4Dst: 0xcb007109 }, BPF_FIB_LOOKUP_SKIP_NEIGH);
  OUT.set(0, a.ret as u32);
  OUT.set(1, b.ret as u32);
  OUT.set(2, c.ret as u32);
  OUT.set(3, d.ret as u32);
  OUT.set(4, d.ifindex);
  OUT.set(5, d.mtu);
  OUT.set(6, d.metric);
  return XdpAction.Pass;
}
`;

describe("fibLookup's codes in the VM", () => {
  it("-EAFNOSUPPORT, -ENODEV, -EINVAL for unknown flags; SKIP_NEIGH succeeds without a neighbour", () => {
    const routes: FibRoute[] = [{ dst: "203.0.113.0/24", ifindex: 5, mtu: 1400, metric: 9 }];
    const vm = new XdpVm(XdpVm.fromElf(compileDsl(FIB_SRC, "fib.ts")).model, { routes });
    vm.run(frame());
    const out = [0, 1, 2, 3, 4, 5, 6].map((k) => vm.map("OUT").lookup(u32le(k), 0)!);
    expect(out.map((b) => Buffer.from(b).readInt32LE(0))).toEqual([-97, -19, -22, 0, 5, 1400, 9]);
  });

  it("a route spec with a bad prefix, gateway or MAC is refused when the VM starts", () => {
    const model = XdpVm.fromElf(router).model;
    expect(() => new XdpVm(model, { routes: [{ dst: "203.0.113.0/33" }] })).toThrow(/not an IPv4 or IPv6 prefix/);
    expect(() => new XdpVm(model, { routes: [{ dst: "203.0.113.0/24", gateway: "2001:db8::1" }] })).toThrow(
      /not an address of the same family/,
    );
    expect(() => new XdpVm(model, { routes: [{ dst: "203.0.113.0/24", dmac: "02:00" }] })).toThrow(/not a MAC/);
  });
});

describe.skipIf(!haveKernel)("programs/router.ts in network namespaces", () => {
  const tag = Math.random().toString(36).slice(2, 6);
  const bpffs = suiteBpffs();
  const objs: LoadedObject[] = [];
  let net: Routed | undefined;
  beforeAll(() => {
    net = routedNets(tag);
  });
  afterAll(() => {
    for (const o of objs) o.close();
    net?.remove();
  });

  it("BPF_PROG_TEST_RUN in the router namespace agrees with the VM and the C twin on every case", () => {
    const args = CASES.flatMap(([, p]) => ["--packet", hex(p)]);
    const run = (prog: string, ...extra: string[]) =>
      (
        JSON.parse(inRouter(net!, "test", prog, "--json", ...extra, ...args)).results as {
          verdict: string;
          dataOut?: string;
        }[]
      ).map((r) => [r.verdict, r.dataOut]);
    const kernel = run("programs/router.ts");
    // test-run's packets come in on the loopback device (ifindex 1); the VM takes the same
    const routes = vmRoutes(net!.ifindex("ra"), net!.ifindex("rb")).flatMap((r) => ["--route", routeSpec(r)]);
    expect(kernel.map(([v]) => v)).toEqual(CASES.map(([, , v]) => v));
    expect(run("programs/router.ts", "--vm", ...routes)).toEqual(kernel);
    expect(run("fixtures/c-twins/router.o")).toEqual(kernel); // the C twin, in the kernel and the VM
    expect(run("fixtures/c-twins/router.o", "--vm", ...routes)).toEqual(kernel);
  });

  it("fibLookup gives the kernel's codes in the VM: a probe returning 100 + ret, both engines", () => {
    const args = CASES.flatMap(([, p]) => ["--packet", hex(p)]);
    const routes = vmRoutes(net!.ifindex("ra"), net!.ifindex("rb")).flatMap((r) => ["--route", routeSpec(r)]);
    const codes = (...extra: string[]) =>
      (
        JSON.parse(inRouter(net!, "test", file("codes.ts"), "--json", ...extra, ...args)).results as {
          retval: number;
        }[]
      ).map((r) => r.retval - 100);
    const want = CASES.map(([, , , c]) => c ?? 0); // the probe looks up the TTL 1 packet too
    expect(codes()).toEqual(want);
    expect(codes("--vm", ...routes)).toEqual(want);
  });

  it("UDP from h1 to h2 (IPv4 and IPv6) is forwarded by the XDP router: TTL 63 at h2, counted in STATS", async () => {
    const counter = loadObject(compileDsl(COUNT, "count.ts", { sectionStyle: "libbpf" }));
    objs.push(counter);
    objPin(counter.program().fd, `${bpffs()}/count`);
    execFileSync("ip", ["-n", net!.ns.h2, "link", "set", "dev", net!.dev.h2, "xdpdrv", "pinned", `${bpffs()}/count`]);
    const r = loadObject(router);
    objs.push(r);
    objPin(r.program().fd, `${bpffs()}/router`);
    execFileSync("ip", ["-n", net!.ns.r, "link", "set", "dev", net!.dev.ra, "xdpdrv", "pinned", `${bpffs()}/router`]);
    const tx = spawn("ip", ["netns", "exec", net!.ns.h1, process.execPath, "-e", SENDER], { stdio: "pipe" });
    await exited(tx, 10000);
    const seen = (k: number) => counter.map("SEEN")!.get(u32le(k))?.readUInt32LE(0);
    for (const t0 = Date.now(); (seen(0) !== 10 || seen(1) !== 10) && Date.now() - t0 < 3000; )
      await new Promise((res) => setTimeout(res, 20));
    expect([seen(0), seen(1)]).toEqual([10, 10]);
    expect(Number(r.map("STATS")!.get(u32le(0))?.readBigUInt64LE(0))).toBeGreaterThanOrEqual(20);
  });
});

/** `tsebpf …` run in the router namespace (test-run's packets come in on its loopback device). */
function inRouter(net: Routed, ...argv: string[]): string {
  return execFileSync("ip", ["netns", "exec", net.ns.r, process.execPath, BIN, ...argv], { encoding: "utf8" });
}

const file = suiteDir("tsebpf-fib-", (f) => writeFileSync(f("codes.ts"), CODES));

/** A VM route as --route spells it. */
function routeSpec(r: FibRoute): string {
  const words = [r.type && r.type !== "unicast" ? r.type : "", r.dst];
  if (r.ifindex !== undefined) words.push("dev", String(r.ifindex));
  for (const [k, v] of [
    ["smac", r.smac],
    ["dmac", r.dmac],
    ["metric", r.metric],
  ] as const)
    if (v !== undefined) words.push(k, String(v));
  return words.filter(Boolean).join(" ");
}

/** At h2: UDP to port 9999 that came through a router (TTL / hop limit 63): key 0 IPv4, 1 IPv6. */
const COUNT = `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, Ipv6Hdr, UdpHdr, ArrayMap, u32, ETH_P_IP, ETH_P_IPV6, IPPROTO_UDP } from "tsebpf";
export const SEEN = new ArrayMap<u32, u32>(2);
export function xdp_count(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.Pass;
  if (eth.etherType === ETH_P_IP) {
    const ip = ctx.header(Ipv4Hdr, EthHdr.size);
    if (ip === null || ip.protocol !== IPPROTO_UDP || ip.ttl !== 63) return XdpAction.Pass;
    const udp = ctx.header(UdpHdr, EthHdr.size + Ipv4Hdr.size);
    if (udp !== null && udp.dstPort === 9999) SEEN.add(0, 1);
  }
  if (eth.etherType === ETH_P_IPV6) {
    const ip6 = ctx.header(Ipv6Hdr, EthHdr.size);
    if (ip6 === null || ip6.nextHeader !== IPPROTO_UDP || ip6.hopLimit !== 63) return XdpAction.Pass;
    const udp = ctx.header(UdpHdr, EthHdr.size + Ipv6Hdr.size);
    if (udp !== null && udp.dstPort === 9999) SEEN.add(1, 1);
  }
  return XdpAction.Pass;
}
`;

const SENDER = `
const dgram = require("node:dgram");
const s4 = dgram.createSocket("udp4"), s6 = dgram.createSocket("udp6");
(async () => {
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => s4.send(Buffer.from("tsebpf " + i), 9999, "203.0.113.2", r));
    await new Promise((r) => s6.send(Buffer.from("tsebpf " + i), 9999, "2001:db8:2::2", r));
    await new Promise((r) => setTimeout(r, 2));
  }
  s4.close();
  s6.close();
})();
`;

/** fibLookup's code for each packet's destination, as the verdict (100 + ret). */
const CODES = `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, Ipv6Hdr, ETH_P_IP, fibLookup, AF_INET, AF_INET6, u16 } from "tsebpf";
export function xdp_codes(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.Aborted;
  if (eth.etherType === ETH_P_IP) {
    const ip = ctx.header(Ipv4Hdr, EthHdr.size);
    if (ip === null) return XdpAction.Aborted;
    const f = fibLookup(ctx, { family: AF_INET, ifindex: ctx.ingressIfindex, totLen: ip.totalLen, ipv4Dst: ip.dstAddr }, 0);
    return (f.ret + 100) as XdpAction;
  }
  const ip6 = ctx.header(Ipv6Hdr, EthHdr.size);
  if (ip6 === null) return XdpAction.Aborted;
  const f = fibLookup(ctx, { family: AF_INET6, ifindex: ctx.ingressIfindex, totLen: (ip6.payloadLen + 40) as u16, ipv6Dst: ip6.dstAddr }, 0);
  return (f.ret + 100) as XdpAction;
}
`;

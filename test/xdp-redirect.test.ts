// Redirect maps: DevMap, DevMapHash, CpuMap and XskMap with redirectMap(). Verdicts through
// `tsebpf test --map` (interface names and ifindexes for devmaps, queue sizes for cpumaps) in the
// kernel and in the VM (same verdicts; the VM also says where the packet went), and a live
// redirect: a program on one veth sends every packet through a DevMap to a veth of another
// namespace, where a counting program sees each of them arrive.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attachXdp, type Attachment } from "../loader/attach.js";
import { loadObject, type LoadedObject } from "../loader/object.js";
import { XdpVm } from "../loader/vm/xdp.js";
import { exited } from "../loader/testbed.js";
import { objPin } from "../loader/sys/bpf.js";
import { suiteBpffs } from "./helpers/bpffs.js";
import { cli } from "./helpers/cli.js";
import { compileDsl } from "./helpers/dsl.js";
import { haveKernel } from "./helpers/env.js";
import { u32le } from "./helpers/packets.js";
import { suiteDir } from "./helpers/tmp.js";
import { suiteVeth, vethInNs, type Veth } from "./helpers/veth.js";
import { execFileSync } from "node:child_process";

const SRC = `import { XdpContext, XdpAction, DevMap, DevMapHash, CpuMap, XskMap, EthHdr, redirectMap,
  BPF_F_BROADCAST } from "tsebpf";
export const PORTS = new DevMap(8);
export const PORTS_BY_IF = new DevMapHash(8);
export const CPUS = new CpuMap(4);
export const XSKS = new XskMap(4);
export function xdp_redir(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.Aborted;
  const sel = eth.dstMac & 0xff; // the last byte of the destination MAC picks the map
  if (sel === 0) return redirectMap(PORTS, 1, XdpAction.Pass);
  if (sel === 1) return redirectMap(PORTS_BY_IF, ctx.ingressIfindex, XdpAction.Drop);
  if (sel === 2) return redirectMap(CPUS, 0, XdpAction.Pass);
  if (sel === 3) return redirectMap(XSKS, ctx.rxQueueIndex, XdpAction.Pass);
  if (sel === 4) return redirectMap(PORTS, 0, BPF_F_BROADCAST);
  return redirectMap(CPUS, 0, BPF_F_BROADCAST); // not a devmap flag: XDP_ABORTED
}
`;

/** Destination MACs ending in 0..5, one packet each. */
const PACKETS = [0, 1, 2, 3, 4, 5].map((i) => `00000000000${i}02000000000108004500000000000000`);
const pkArgs = PACKETS.flatMap((p) => ["--packet", p]);
const verdicts = (out: string) => [...out.matchAll(/packet \d+: (XDP_\w+)/g)].map((m) => m[1]);
const EMPTY = ["XDP_PASS", "XDP_DROP", "XDP_PASS", "XDP_PASS", "XDP_REDIRECT", "XDP_ABORTED"];
const FILLED = ["XDP_REDIRECT", "XDP_REDIRECT", "XDP_REDIRECT", "XDP_PASS", "XDP_REDIRECT", "XDP_ABORTED"];

const file = suiteDir("tsebpf-redir-", (f) => writeFileSync(f("redir.ts"), SRC));
const ifindex = (name: string) => Number(readFileSync(`/sys/class/net/${name}/ifindex`, "utf8"));
const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));

describe("redirect maps in the VM", () => {
  it("redirectMap: REDIRECT for an entry, the fallback action without one, ABORTED for bad flags", () => {
    const vm = XdpVm.fromElf(compileDsl(SRC, "redir.ts"));
    expect(PACKETS.map((p) => vm.run(hex(p)).verdict)).toEqual([2, 1, 2, 2, 4, 0]);
    vm.map("PORTS").set(u32le(1), Uint8Array.from([7, 0, 0, 0, 0, 0, 0, 0]));
    vm.map("PORTS_BY_IF").set(u32le(1), Uint8Array.from([7, 0, 0, 0, 0, 0, 0, 0]));
    vm.map("CPUS").set(u32le(0), Uint8Array.from([192, 0, 0, 0, 0, 0, 0, 0]));
    const runs = PACKETS.map((p) => vm.run(hex(p)));
    expect(runs.map((r) => r.verdict)).toEqual([4, 4, 4, 2, 4, 0]);
    expect(runs.map((r) => r.redirect)).toEqual([
      { map: "PORTS", key: 1 },
      { map: "PORTS_BY_IF", key: 1 },
      { map: "CPUS", key: 0 },
      undefined,
      { map: "PORTS", key: 0, broadcast: true },
      undefined,
    ]);
  });

  it("--map refuses xskmap values and unknown interfaces, and keys past a devmap's end", async () => {
    const xsk = await cli("test", "--vm", file("redir.ts"), "--map", "XSKS", "0=3", ...pkArgs);
    expect(xsk.err).toMatch(/--map XSKS: value '3' for key '0': an xskmap holds AF_XDP sockets/);
    const dev = await cli("test", "--vm", file("redir.ts"), "--map", "PORTS", "1=tsebpf-no-such-if", ...pkArgs);
    expect(dev.err).toMatch(/--map PORTS: value 'tsebpf-no-such-if' for key '1': no interface of that name/);
    const big = await cli("test", "--vm", file("redir.ts"), "--map", "PORTS", "8=1", ...pkArgs);
    expect(big.code).toBe(1);
  });
});

describe.skipIf(!haveKernel)("redirect maps in the kernel", () => {
  const tag = Math.random().toString(36).slice(2, 7);
  const veth = suiteVeth(`r${tag}`);

  it("tsebpf test: the same verdicts as the VM, empty and filled by interface name and ifindex", async () => {
    for (const engine of [[], ["--vm"]]) {
      const empty = await cli("test", ...engine, file("redir.ts"), ...pkArgs);
      expect(verdicts(empty.out), empty.err).toEqual(EMPTY);
      const maps = ["--map", "PORTS", `1=${veth.host}`, "--map", "PORTS_BY_IF", `1=${ifindex(veth.host)}`];
      const filled = await cli("test", ...engine, file("redir.ts"), ...maps, "--map", "CPUS", "0=192", ...pkArgs);
      expect(verdicts(filled.out), filled.err).toEqual(FILLED);
    }
  });
});

describe.skipIf(!haveKernel)("a DevMap redirect between namespaces", () => {
  const tag = Math.random().toString(36).slice(2, 7);
  const bpffs = suiteBpffs();
  const objs: LoadedObject[] = [];
  let a: Veth | undefined, b: Veth | undefined, link: Attachment | undefined;
  const ip = (...args: string[]) => execFileSync("ip", args, { encoding: "utf8", stdio: "pipe" });
  beforeAll(() => {
    a = vethInNs(`a${tag}`);
    b = vethInNs(`b${tag}`);
    ip("-n", a.ns, "addr", "add", "198.51.100.1/24", "dev", a.peer);
    ip("-n", b.ns, "addr", "add", "198.51.100.2/24", "dev", b.peer);
    for (const [ns, dev] of [
      [a.ns, a.peer],
      [b.ns, b.peer],
    ])
      ip("-n", ns!, "link", "set", dev!, "up");
    for (const dev of [a.host, b.host]) ip("link", "set", dev, "up");
    const bMac = /link\/ether ([0-9a-f:]+)/.exec(ip("-n", b.ns, "link", "show", b.peer))![1]!;
    ip("-n", a.ns, "neigh", "replace", "198.51.100.2", "lladdr", bMac, "dev", a.peer, "nud", "permanent");
  });
  afterAll(() => {
    link?.detach();
    for (const o of objs) o.close();
    a?.remove();
    b?.remove();
  });

  it("every UDP datagram sent into veth A arrives at veth B in the other namespace", async () => {
    // b's peer counts what arrives (the redirected frames lost their checksum offload state, so a
    // socket would drop them as bad checksums); it is attached from a pin, inside b's namespace
    const counter = loadObject(compileDsl(COUNT, "count.ts", { sectionStyle: "libbpf" }));
    objs.push(counter);
    objPin(counter.program().fd, `${bpffs()}/count`);
    ip("-n", b!.ns, "link", "set", "dev", b!.peer, "xdpdrv", "pinned", `${bpffs()}/count`);
    const fwd = loadObject(compileDsl(FORWARD, "forward.ts"));
    objs.push(fwd);
    fwd.map("PORTS")!.set(u32le(0), Uint8Array.from([...u32le(ifindex(b!.host)), 0, 0, 0, 0]));
    link = attachXdp(fwd.program().fd, a!.host, { mode: "drv" });
    const tx = spawn("ip", ["netns", "exec", a!.ns, process.execPath, "-e", SENDER], { stdio: "pipe" });
    await exited(tx, 10000);
    const seen = () => counter.map("SEEN")!.get(u32le(0))?.readUInt32LE(0);
    for (const t0 = Date.now(); seen() !== 20 && Date.now() - t0 < 2000; ) await new Promise((r) => setTimeout(r, 20));
    expect(seen()).toBe(20);
  });
});

const COUNT = `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, UdpHdr, ArrayMap, u32, ETH_P_IP, IPPROTO_UDP } from "tsebpf";
export const SEEN = new ArrayMap<u32, u32>(1);
export function xdp_count(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null || eth.etherType !== ETH_P_IP) return XdpAction.Pass;
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null || ip.protocol !== IPPROTO_UDP || ip.srcAddr !== 0xc6336401) return XdpAction.Pass;
  const udp = ctx.header(UdpHdr, EthHdr.size + Ipv4Hdr.size);
  if (udp !== null && udp.dstPort === 9999) SEEN.add(0, 1);
  return XdpAction.Pass;
}
`;

const FORWARD = `import { XdpContext, XdpAction, DevMap, redirectMap } from "tsebpf";
export const PORTS = new DevMap(4);
export function xdp_forward(ctx: XdpContext): XdpAction {
  return redirectMap(PORTS, 0, XdpAction.Drop);
}
`;

const SENDER = `
const s = require("node:dgram").createSocket("udp4");
(async () => {
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => s.send(Buffer.from("tsebpf " + i), 9999, "198.51.100.2", r));
    await new Promise((r) => setTimeout(r, 2));
  }
  s.close();
})();
`;

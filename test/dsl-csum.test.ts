// Checksum helpers (csumReplace2/4, csumDiff + csumFold): a NAT-like program decrements the TTL and
// rewrites the IPv4 source address and the UDP/TCP source port of random packets, updating the
// checksums incrementally; the test recomputes every checksum of the output packet from scratch
// (RFC 1071 over the IPv4 header, and over the pseudo-header + L4 segment) and they must match,
// in the kernel and in the VM (which must also agree with the kernel on bpf_csum_diff's value).
import { describe, expect, it } from "vitest";
import { XdpVm } from "../loader/vm/xdp.js";
import { compileDsl } from "./helpers/dsl.js";
import { testRunChecked } from "./helpers/twin.js";
import { haveKernel } from "./helpers/env.js";
import { u32le } from "./helpers/packets.js";
import { rng } from "./helpers/rng.js";
import { withObject } from "./helpers/run.js";

const NAT = `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, UdpHdr, TcpHdr, ArrayMap, u16, u32,
  ETH_P_IP, IPPROTO_TCP, IPPROTO_UDP, csumDiff, csumFold, csumReplace2, csumReplace4 } from "tsebpf";
export const NAT = new ArrayMap<u32, u32>(2); // 0: new source address, 1: new source port
export function xdp_nat(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null || eth.etherType !== ETH_P_IP) return XdpAction.Pass;
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null) return XdpAction.Pass;
  const addr = NAT.get(0) ?? 0;
  const port = (NAT.get(1) ?? 0) as u16;
  const old = ip.srcAddr;
  const ttlWord: u16 = (ip.ttl << 8) | ip.protocol; // the 16-bit word the TTL shares
  ip.ttl = ip.ttl - 1;
  ip.checksum = csumReplace2(ip.checksum, ttlWord, (ip.ttl << 8) | ip.protocol);
  ip.checksum = csumFold(csumDiff(old, addr, ~ip.checksum & 0xffff));
  ip.srcAddr = addr;
  if (ip.protocol === IPPROTO_UDP) {
    const udp = ctx.header(UdpHdr, EthHdr.size + Ipv4Hdr.size);
    if (udp === null) return XdpAction.Aborted;
    if (udp.checksum !== 0) {
      const c = csumReplace4(csumReplace2(udp.checksum, udp.srcPort, port), old, addr);
      udp.checksum = c === 0 ? 0xffff : c;
    }
    udp.srcPort = port;
  } else if (ip.protocol === IPPROTO_TCP) {
    const tcp = ctx.header(TcpHdr, EthHdr.size + Ipv4Hdr.size);
    if (tcp === null) return XdpAction.Aborted;
    tcp.checksum = csumReplace4(csumReplace2(tcp.checksum, tcp.srcPort, port), old, addr);
    tcp.srcPort = port;
  }
  return XdpAction.Tx;
}
`;

const DIFF = `import { XdpContext, XdpAction, ArrayMap, u32, csumDiff } from "tsebpf";
export const IO = new ArrayMap<u32, u32>(4);
export function xdp_diff(ctx: XdpContext): XdpAction {
  IO.set(3, csumDiff(IO.get(0) ?? 0, IO.get(1) ?? 0, IO.get(2) ?? 0));
  return XdpAction.Pass;
}
`;

/** RFC 1071: the one's complement of the one's complement sum of big-endian 16-bit words. */
function checksum(...parts: Uint8Array[]): number {
  let sum = 0;
  for (const b of parts) for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The checksum of the L4 segment at 34.. of an Ethernet+IPv4 frame (its own field taken as 0). */
function l4Checksum(f: Uint8Array, field: number): number {
  const seg = f.slice(34);
  seg[field] = seg[field + 1] = 0;
  const pseudo = new Uint8Array(12);
  pseudo.set(f.subarray(26, 34), 0);
  pseudo[9] = f[23]!;
  new DataView(pseudo.buffer).setUint16(10, seg.length);
  const c = checksum(pseudo, seg);
  return f[23] === 17 && c === 0 ? 0xffff : c;
}

function ipChecksum(f: Uint8Array): number {
  const h = f.slice(14, 34);
  h[10] = h[11] = 0;
  return checksum(h);
}

const be16 = (f: Uint8Array, at: number) => (f[at]! << 8) | f[at + 1]!;
const L4_CHECK: Record<number, number> = { 6: 16, 17: 6 };

/** A random UDP or TCP frame with correct checksums (a UDP one sometimes without: checksum 0). */
function randomFrame(r: () => number): Uint8Array {
  const proto = r() < 0.5 ? 17 : 6;
  const l4 = proto === 6 ? 20 : 8,
    payload = Math.floor(r() * 41);
  const f = new Uint8Array(34 + l4 + payload).map(() => Math.floor(r() * 256));
  const v = new DataView(f.buffer);
  v.setUint16(12, 0x0800);
  f[14] = 0x45;
  v.setUint16(16, 20 + l4 + payload);
  f[22] = 2 + Math.floor(r() * 254);
  f[23] = proto;
  f.set([198, 51, 100, Math.floor(r() * 256)], 26);
  f.set([203, 0, 113, Math.floor(r() * 256)], 30);
  if (proto === 17) v.setUint16(38, 8 + payload);
  if (proto === 6) f[46] = 0x50;
  v.setUint16(34 + L4_CHECK[proto]!, 0);
  if (proto === 6 || r() < 0.8) v.setUint16(34 + L4_CHECK[proto]!, l4Checksum(f, L4_CHECK[proto]!));
  v.setUint16(24, ipChecksum(f));
  return f;
}

interface Case {
  frame: Uint8Array;
  addr: number;
  port: number;
}

function cases(n: number): Case[] {
  const r = rng(8108);
  return Array.from({ length: n }, (_, i) => ({
    frame: randomFrame(r),
    addr: i % 7 === 0 ? 0 : (0xcb007100 | Math.floor(r() * 256)) >>> 0,
    port: i % 11 === 0 ? 0 : Math.floor(r() * 65536),
  }));
}

/** What the output must be: the rewrite applied and every checksum recomputed from scratch. */
function expectRewrite(c: Case, out: Uint8Array): void {
  const v = new DataView(out.buffer, out.byteOffset);
  expect(out[22]).toBe(c.frame[22]! - 1);
  expect(v.getUint32(26)).toBe(c.addr);
  expect(be16(out, 34)).toBe(c.port);
  expect(be16(out, 24)).toBe(ipChecksum(out));
  const at = L4_CHECK[out[23]!]!;
  if (out[23] === 17 && be16(c.frame, 34 + at) === 0) expect(be16(out, 34 + at)).toBe(0);
  else expect(be16(out, 34 + at)).toBe(l4Checksum(out, at));
}

const CASES = cases(200);

describe("checksum helpers in the VM", () => {
  it("rewrites address, port and TTL with checksums equal to a full recomputation (200 random packets)", () => {
    const vm = XdpVm.fromElf(compileDsl(NAT, "nat.ts"));
    for (const c of CASES) {
      vm.map("NAT").set(u32le(0), u32le(c.addr));
      vm.map("NAT").set(u32le(1), u32le(c.port));
      const r = vm.run(c.frame);
      expect(r.verdict).toBe(3);
      expectRewrite(c, r.packet);
    }
  });
});

describe.skipIf(!haveKernel)("checksum helpers in the kernel", () => {
  it("rewrites address, port and TTL with checksums equal to a full recomputation, as the VM does", () => {
    const bytes = compileDsl(NAT, "nat.ts");
    const vm = XdpVm.fromElf(bytes);
    withObject(bytes, (o) => {
      const nat = o.map("NAT")!;
      for (const c of CASES) {
        nat.set(u32le(0), u32le(c.addr));
        nat.set(u32le(1), u32le(c.port));
        vm.map("NAT").set(u32le(0), u32le(c.addr));
        vm.map("NAT").set(u32le(1), u32le(c.port));
        const r = testRunChecked(o, c.frame);
        expect(r.retval).toBe(3);
        expectRewrite(c, r.dataOut);
        expect(vm.run(c.frame).packet).toEqual(r.dataOut);
      }
    });
  });

  it("bpf_csum_diff gives the same value in the VM as in the kernel (edge and random inputs)", () => {
    const bytes = compileDsl(DIFF, "diff.ts");
    const vm = XdpVm.fromElf(bytes);
    const r = rng(28);
    const word = () =>
      r() < 0.2 ? [0, 0xffffffff, 1, 0xffff, 0x10000][Math.floor(r() * 5)]! : Math.floor(r() * 2 ** 32);
    withObject(bytes, (o) => {
      const io = o.map("IO")!;
      for (let i = 0; i < 300; i++) {
        const ins = [word(), word(), word()];
        ins.forEach((w, k) => (io.set(u32le(k), u32le(w)), vm.map("IO").set(u32le(k), u32le(w))));
        testRunChecked(o, new Uint8Array(64));
        vm.run(new Uint8Array(64));
        expect([...vm.map("IO").lookup(u32le(3), 0)!], ins.join(",")).toEqual([...io.get(u32le(3))!]);
      }
    });
  });
});

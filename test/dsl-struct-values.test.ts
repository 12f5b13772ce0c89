// Struct values beyond locals and map references: helper functions returning a struct (a copy in
// the caller's slot, also from a map value or another struct-valued call), `===`/`!==` on structs
// (bytes compared, padding zeroed), and a whole Ipv6Addr written into an IPv6 header (from a map
// value, a struct field, the other address: a swap) — in the VM and the kernel alike, with the
// verdicts and output packets worked out here by hand.
import { describe, expect, it } from "vitest";
import { compileDsl } from "./helpers/dsl.js";
import { haveKernel } from "./helpers/env.js";
import { frame6 } from "./helpers/packets.js";
import { withObject } from "./helpers/run.js";
import { testRunChecked } from "./helpers/twin.js";
import { loadXdp } from "../loader/vm/testing.js";
import { parseIpv6 } from "../loader/ip-addr.js";

const STRUCTS = `import { XdpContext, XdpAction, HashMap, u8, u32, u64 } from "tsebpf";
interface P { a: u32; b: u8; c: u64 }
export const M = new HashMap<u32, P>(4);
function mk(x: u32): P {
  if (x > 100) return { a: x, b: 2, c: 7 };
  const s: P = { a: x, b: 1, c: 2 };
  s.c += 1;
  return s;
}
function pick(k: u32): P {
  const v = M.get(k);
  if (v === null) return mk(k);
  return v;
}
export function xdp_sv(ctx: XdpContext): XdpAction {
  const p = mk(ctx.length);
  const q: P = { a: 64, b: 1, c: 3 };
  if (p === q) return XdpAction.Drop; // a 64-byte packet
  if (mk(ctx.length).b === 2 && p !== q) {
    M.set(1, mk(ctx.length));
    return XdpAction.Tx; // longer than 100 bytes: M[1] = { len, 2, 7 }
  }
  const r = pick(1);
  if (r.c === 7 && r.a === 200) return XdpAction.Redirect; // after a 200-byte packet
  return XdpAction.Pass;
}`;

const V6 = `import { XdpContext, XdpAction, EthHdr, Ipv6Hdr, HashMap, Ipv6Addr, ETH_P_IPV6, u16, u32 } from "tsebpf";
interface Nat { port: u16; addr: Ipv6Addr }
export const TARGETS = new HashMap<u32, Ipv6Addr>(4);
export const NATS = new HashMap<u32, Nat>(4);
export function xdp_v6(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null || eth.etherType !== ETH_P_IPV6) return XdpAction.Pass;
  const ip6 = ctx.header(Ipv6Hdr, EthHdr.size);
  if (ip6 === null) return XdpAction.Pass;
  const t = TARGETS.get(ip6.hopLimit);
  if (t !== null) {
    ip6.dstAddr = t;
    return XdpAction.Tx;
  }
  const n = NATS.get(ip6.hopLimit);
  if (n !== null) {
    ip6.srcAddr = n.addr;
    return XdpAction.Redirect;
  }
  const src = ip6.srcAddr;
  ip6.srcAddr = ip6.dstAddr;
  ip6.dstAddr = src;
  return XdpAction.Drop;
}`;

const sized = (n: number) => new Uint8Array(n);
const [A, B, T, N] = ["2001:db8::1", "2001:db8::2", "2001:db8:7::7", "2001:db8:a:b:c:d:e:f"];
const hop = (p: Uint8Array, h: number) => (p.set([h], 21), p);
const CASES: [Uint8Array, number, Uint8Array][] = [
  [hop(frame6(A, B), 1), 3, hop(frame6(A, T), 1)], // TARGETS[1]: the destination replaced
  [hop(frame6(A, B), 2), 4, hop(frame6(N, B), 2)], // NATS[2].addr (at offset 2 of the value): the source
  [hop(frame6(A, B), 3), 1, hop(frame6(B, A), 3)], // neither: swapped
];
const natValue = () => Uint8Array.from([0x50, 0, ...parseIpv6(N)!]);

describe("struct values", () => {
  it("in the VM: struct results and equality give the verdicts worked out by hand", () => {
    const t = loadXdp(compileDsl(STRUCTS, "sv.ts"));
    const verdicts = [64, 30, 200, 30, 150, 30].map((n) => t.run(sized(n)).verdict);
    expect(verdicts).toEqual(["XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT", "XDP_TX", "XDP_PASS"]);
  });

  it.skipIf(!haveKernel)("in the kernel: the same verdicts", () => {
    const verdicts = withObject(compileDsl(STRUCTS, "sv.ts"), (o) =>
      [64, 30, 200, 30, 150, 30].map((n) => testRunChecked(o, sized(n)).retval),
    );
    expect(verdicts).toEqual([1, 2, 3, 4, 3, 2]);
  });

  it("in the VM: Ipv6Addr written into the header from a map value, a struct field, the other address", () => {
    const maps = { TARGETS: [[1, parseIpv6(T)!]] as const, NATS: [[2, natValue()]] as const };
    const t = loadXdp(compileDsl(V6, "v6.ts"), { maps });
    for (const [pkt, verdict, out] of CASES) {
      const r = t.run(pkt);
      expect([r.verdict, Buffer.from(r.packet).toString("hex")]).toEqual([
        ["XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"][verdict],
        Buffer.from(out).toString("hex"),
      ]);
    }
  });

  it.skipIf(!haveKernel)("in the kernel: the same packets out", () => {
    withObject(compileDsl(V6, "v6.ts"), (o) => {
      o.map("TARGETS")!.set(Uint8Array.of(1, 0, 0, 0), parseIpv6(T)!);
      o.map("NATS")!.set(Uint8Array.of(2, 0, 0, 0), natValue());
      for (const [pkt, verdict, out] of CASES) {
        const r = testRunChecked(o, pkt);
        expect([r.retval, Buffer.from(r.dataOut).toString("hex")]).toEqual([verdict, Buffer.from(out).toString("hex")]);
      }
    });
  });
});

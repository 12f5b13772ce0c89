// DSL back end, checked in the kernel: integer width/wrap/sign rules, inlined helpers, unrolled
// loops, short-circuit logic, spilling across helper calls and map operations, each compiled,
// loaded (the verifier must accept it), run with BPF_PROG_TEST_RUN and observed through logs;
// header writes (host byte order, MACs) and spill slots shared by values not live together.
import { describe, expect, it } from "vitest";
import { haveKernel } from "./helpers/env.js";
import { testRunChecked } from "./helpers/twin.js";
import { XDP_HEAD, compileDsl } from "./helpers/dsl.js";
import { drainRing, readLogs, run, runPackets, withObject } from "./helpers/run.js";
import type { LoadedObject } from "../loader/object.js";
import { frame, ip4, u32le } from "./helpers/packets.js";

const HEAD = `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, UdpHdr, TcpHdr, mac, bool, ETH_P_IP, IPPROTO_TCP, RingBuf, redirect, HashMap, ArrayMap, LruHashMap, PerCpuHashMap, info, hex, u8, u16, u32, u64, i8, i16, i32, i64, ktimeNs, cpuId } from "tsebpf";\n`;
const PARSE = `
  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.Pass;
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null || eth.etherType !== ETH_P_IP) return XdpAction.Pass;
  const udp = ctx.header(UdpHdr, EthHdr.size + Ipv4Hdr.size);
  if (udp === null) return XdpAction.Pass;
`;

const build = (src: string): Uint8Array => compileDsl(HEAD + src, "t.ts");

function runLogs(
  src: string,
  packets: Uint8Array[],
  setup?: (o: LoadedObject) => void,
): { verdicts: number[]; logs: string[] } {
  return runPackets(build(src), packets, setup);
}

describe.skipIf(!haveKernel)("DSL semantics in the kernel", () => {
  it("integer widths wrap, sign-extend and convert as declared; helpers inline; loops unroll", () => {
    const src = `
const LIMIT = 5;
function clamp(x: u32, hi: u32): u32 {
  if (x > hi) return hi;
  return x;
}
function sum(n: u32): u32 {
  let s: u32 = 0;
  for (let i = 0; i < LIMIT; i++) {
    s += i * n;
  }
  return s;
}
export function xdp_sem(ctx: XdpContext): XdpAction {${PARSE}
  const port = udp.dstPort;
  const a: u8 = (ip.ttl + 200) as u8;
  const b: u16 = port * 3;
  const c: i8 = -(ip.ttl as i8);
  const d: i32 = (c as i32) * 1000;
  const e: u64 = (ip.srcAddr as u64) << 8;
  const f: u32 = clamp(port, 100);
  const g: u32 = sum(port);
  const h: i64 = (d as i64) / 7;
  const w: u16 = (port * 2000) as u16;
  const n: u32 = (0 - port) as u32; // computed in 64 bits (-port), then narrowed by 'as'
  const ok = port > 10 && ip.ttl < 100 || port === 7;
  const k: u32 = ok ? 11 : 22;
  info(\`a=\${a} b=\${b} c=\${c} d=\${d} e=\${hex(e)} f=\${f} g=\${g} h=\${h} w=\${w} n=\${n}\`);
  info(\`k=\${k} len=\${ctx.length} ihl=\${ip.ihl} ver=\${ip.version} cpu=\${cpuId() < 1024}\`);
  return XdpAction.Pass;
}`;
    const { verdicts, logs } = runLogs(src, [frame({ proto: 17, dstPort: 53 }), frame({ proto: 17, dstPort: 7 })]);
    expect(verdicts).toEqual([2, 2]);
    expect(logs).toEqual([
      `a=8 b=159 c=-64 d=-64000 e=c633640100 f=53 g=530 h=-9142 w=${(53 * 2000) & 0xffff} n=${2 ** 32 - 53}`,
      "k=11 len=46 ihl=5 ver=4 cpu=true",
      `a=8 b=21 c=-64 d=-64000 e=c633640100 f=7 g=70 h=-9142 w=14000 n=${2 ** 32 - 7}`,
      "k=11 len=46 ihl=5 ver=4 cpu=true",
    ]);
  });

  it("keeps values across helper calls (callee-saved registers, spilling to the stack)", () => {
    const src = `
export function xdp_spill(ctx: XdpContext): XdpAction {${PARSE}
  const v1 = ip.srcAddr;
  const v2 = ip.dstAddr;
  const v3 = udp.srcPort;
  const v4 = udp.dstPort;
  const v5 = ip.ttl;
  const v6 = ip.totalLen;
  const v7 = eth.etherType;
  const t = ktimeNs();
  const c = cpuId();
  info(\`\${hex(v1)} \${hex(v2)} \${v3} \${v4} \${v5} \${v6} \${hex(v7)} \${t > 0} \${c < 1024}\`);
  info(\`\${v1 ^ v2} \${v3 + v4} \${v5 + v6}\`);
  return XdpAction.Pass;
}`;
    const { logs } = runLogs(src, [frame({ proto: 17, srcPort: 1234, dstPort: 4321 })]);
    const s = ip4("198.51.100.1"),
      d = ip4("198.51.100.2");
    expect(logs).toEqual([
      `${s.toString(16)} ${d.toString(16)} 1234 4321 64 32 800 true true`,
      `${(s ^ d) >>> 0} 5555 96`,
    ]);
  });

  it("map get/set/delete/has/add on hash, LRU, array and per-CPU hash maps", () => {
    const src = `
export const H = new HashMap<u32, u64>(16);
export const L = new LruHashMap<u16, u32>(16);
export const A = new ArrayMap<u32, u32>(4);
export const P = new PerCpuHashMap<u32, u64>(4);
export function xdp_maps(ctx: XdpContext): XdpAction {${PARSE}
  const port = udp.dstPort;
  H.add(port, 5);
  H.add(port, 1);
  const hv = H.get(port);
  const h = hv === null ? 0 : hv;
  L.set(port, 77);
  const had = L.has(port);
  L.delete(port);
  const gone = !L.has(port);
  A.set(2, 9);
  A.add(2, 3);
  const av = A.get(2) ?? 0;
  P.add(1, 2);
  const pv = P.get(1) ?? 0;
  info(\`\${h} \${had} \${gone} \${av} \${pv} \${A.get(7) ?? 99}\`);
  return h === 6 ? XdpAction.Drop : XdpAction.Pass;
}`;
    const pkt = frame({ proto: 17, dstPort: 80 });
    const { verdicts, logs, perCpuSum } = withObject(build(src), (o) => {
      expect([...o.map("A")!.get(u32le(2))!]).toEqual([...u32le(0)]); // an array map starts zeroed
      const verdicts = [run(o, pkt), run(o, pkt)];
      const all = o.map("P")!.get(u32le(1))!; // one u64 per possible CPU
      let perCpuSum = 0n;
      for (let i = 0; i < all.length; i += 8) perCpuSum += all.readBigUInt64LE(i);
      return { verdicts, logs: readLogs(o), perCpuSum };
    });
    // P.get reads this CPU's slot: 4 when both test runs ran on one CPU, 2 when the process moved
    // between them (found under load in a fresh-clone run); the slots always sum to 4.
    expect(logs[0]).toBe("6 true true 12 2 99");
    expect(logs[1]).toMatch(/^12 true true 12 [24] 99$/);
    expect(perCpuSum).toBe(4n);
    expect(verdicts).toEqual([1, 2]);
  });

  it("reads headers at variable offsets (IPv4 options), from an inlined helper function", () => {
    const src = `
function tcpPort(ctx: XdpContext, proto: u8, ihl: u8): u32 {
  if (proto !== IPPROTO_TCP) return 0;
  const tcp = ctx.header(TcpHdr, EthHdr.size + ihl * 4);
  if (tcp === null) return 1;
  return tcp.dstPort;
}
export function xdp_var(ctx: XdpContext): XdpAction {${PARSE}
  const p = tcpPort(ctx, ip.protocol, ip.ihl);
  info(\`port \${p}\`);
  return p === 22 ? XdpAction.Drop : XdpAction.Pass;
}`;
    const tcp = frame({ proto: 6, dstPort: 22 });
    const withOptions = new Uint8Array(tcp.length + 8);
    withOptions.set(tcp.subarray(0, 34));
    withOptions[14] = 0x47; // ihl 7: 8 bytes of options
    withOptions.set(tcp.subarray(34), 42);
    const short = withOptions.subarray(0, 50);
    const { verdicts, logs } = runLogs(src.replace("${PARSE}", PARSE), [tcp, withOptions, short, frame({ proto: 17 })]);
    expect(verdicts).toEqual([1, 1, 2, 2]);
    expect(logs).toEqual(["port 22", "port 22", "port 1", "port 0"]);
  });

  it("adjustHead invalidates header views; the packet is re-read after it", () => {
    const src = `
export function xdp_adj(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.Pass;
  const before = ctx.length;
  if (ctx.adjustHead(14) !== 0) return XdpAction.Aborted;
  const ip = ctx.header(Ipv4Hdr, 0);
  if (ip === null) return XdpAction.Drop;
  info(\`\${before} \${ctx.length} \${ip.ttl}\`);
  return XdpAction.Pass;
}`;
    const { verdicts, logs } = runLogs(src, [frame({ proto: 17 })]);
    expect(verdicts).toEqual([2]);
    expect(logs).toEqual(["46 32 64"]);
  });

  it("a view stays valid after a loop branch that adjusts and returns, and in the other arm of ?:", () => {
    const src = `
export function xdp_flow(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.Pass;
  for (let i = 0; i < 3; i++) {
    if (eth.etherType === 0x0800 + i) {
      ctx.adjustHead(14);
      const ip = ctx.header(Ipv4Hdr, 0);
      if (ip === null) return XdpAction.Aborted;
      info(\`\${i} \${ip.ttl}\`);
      return XdpAction.Drop;
    }
  }
  const r = ctx.length > 100 ? ctx.adjustHead(14) : eth.etherType;
  info(\`\${r}\`);
  return XdpAction.Pass;
}`;
    const packets = [
      frame({ proto: 17 }),
      frame({ proto: 17, etherType: 0x0802 }),
      frame({ proto: 17, etherType: 0x86dd }),
    ];
    const { verdicts, logs } = runLogs(src, packets);
    expect(verdicts).toEqual([1, 1, 2]);
    expect(logs).toEqual(["0 64", "2 64", "34525"]);
  });

  it("redirect returns XDP_REDIRECT; RingBuf.output writes records; signed comparisons", () => {
    const src = `
export const EVENTS = new RingBuf<u32>(4096);
export function xdp_rd(ctx: XdpContext): XdpAction {${PARSE}
  const t: i16 = (ip.ttl as i16) - 100;
  EVENTS.output(ip.srcAddr);
  info(\`\${t < 0} \${t} \${(t as i32) >= -36}\`);
  if (udp.dstPort === 9) return redirect(1);
  return XdpAction.Pass;
}`;
    const events: number[] = [];
    withObject(build(src), (o) => {
      expect(run(o, frame({ proto: 17, dstPort: 9 }))).toBe(4);
      expect(run(o, frame({ proto: 17, dstPort: 10 }))).toBe(2);
      drainRing(o, "EVENTS", (rec) => events.push(new DataView(rec.buffer, rec.byteOffset).getUint32(0, true)));
      expect(readLogs(o)).toEqual(["true -36 true", "true -36 true"]);
    });
    expect(events).toEqual([ip4("198.51.100.1"), ip4("198.51.100.1")]);
  });

  it("loops with branches, 64-bit constants, variable shifts and divisions, map read-modify-write, mac()", () => {
    const src = `
export const SEEN = new HashMap<u64, u64>(64);
function pick(a: u32, b: u32, c: boolean): u32 {
  return c ? a * 2 : b + 1;
}
export function xdp_t2(ctx: XdpContext): XdpAction {${PARSE}
  let x: u32 = 0;
  for (let i = 0; i < 8; i++) {
    if ((udp.dstPort & (1 << i)) !== 0) x += i;
    else if (i === 3) x ^= 0xff;
  }
  const big: u64 = 0x1234567890;
  const cmp = (ip.srcAddr as u64) + big > 0x12f00000000;
  const sh: u32 = (ip.ttl as u32) << (udp.dstPort & 7);
  const sh8 = ip.ttl << (udp.dstPort & 7); // u8 arithmetic: 64 << 5 wraps to 0
  const dv: u32 = udp.srcPort / (udp.dstPort - 50);
  const q = pick(x, sh, ip.ttl > 10 && udp.len !== 0);
  const key: u64 = eth.srcMac;
  const prev = SEEN.get(key);
  let count: u64 = 1;
  if (prev !== null) count = prev + 1;
  SEEN.set(key, count);
  const neg: i32 = -5;
  const m: i64 = (neg as i64) * 1000000000000;
  info(\`x=\${x} cmp=\${cmp} sh=\${sh} sh8=\${sh8} dv=\${dv} q=\${q} mac=\${mac(key)} count=\${count} m=\${m} big=\${hex(big)}\`);
  return XdpAction.Pass;
}
`;
    const { logs } = runLogs(src, [frame({ proto: 17, dstPort: 53 }), frame({ proto: 17, dstPort: 53 })]);
    const cmp = 0xc6336401n + 0x1234567890n > 0x12f00000000n;
    const line = (n: number): string =>
      `x=262 cmp=${cmp} sh=2048 sh8=0 dv=13333 q=524 mac=02:00:00:00:00:01 count=${n} m=-5000000000000 big=1234567890`;
    expect(logs).toEqual([line(1), line(2)]);
  });
});

describe.skipIf(!haveKernel)("header writes and spill slots in the kernel", () => {
  it("header fields are written in host byte order (README: 'read and written'), MACs included", () => {
    const bytes = compileDsl(
      XDP_HEAD +
        `export function xdp_t(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.Pass;
  const t = eth.dstMac;
  eth.dstMac = eth.srcMac;
  eth.srcMac = t;
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null) { eth.etherType = 0x86dd; return XdpAction.Tx; }
  ip.ttl -= 1;
  ip.srcAddr = 0xc0a80001;
  ip.id += 0x0102;
  const udp = ctx.header(UdpHdr, EthHdr.size + Ipv4Hdr.size);
  if (udp !== null) udp.dstPort = udp.srcPort + 1;
  return ip.ttl === 63 ? XdpAction.Tx : XdpAction.Drop;
}`,
      "t.ts",
    );
    const hex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
    withObject(bytes, (o) => {
      const a = testRunChecked(
        o,
        hex("00112233445566778899aabb0800450000280000000040110000010203040506070800351f90000800000000"),
      );
      expect(a.retval).toBe(3);
      expect(Buffer.from(a.dataOut).toString("hex")).toBe(
        "66778899aabb001122334455080045000028010200003f110000c0a800010506070800350036000800000000",
      );
      const b = testRunChecked(o, hex("00112233445566778899aabb0806000000000000"));
      expect(b.retval).toBe(3);
      expect(Buffer.from(b.dataOut).toString("hex")).toBe("66778899aabb00112233445586dd000000000000");
    });
  });

  it("spill slots are shared when their values are not live together: 60 spilled locals and a helper inlined 4x fit in 512 bytes", () => {
    const n = 60;
    const decls = Array.from({ length: n }, (_, i) => `  const v${i}: u32 = ctx.length * ${i + 1};`).join("\n");
    const sum = Array.from({ length: n }, (_, i) => `v${i}`).join(" + ");
    const many = compileDsl(
      XDP_HEAD +
        `export function xdp_t(ctx: XdpContext): XdpAction {\n${decls}\n  const x: u32 = ${sum};\n  return x === ${(34 * n * (n + 1)) / 2} ? XdpAction.Drop : XdpAction.Pass;\n}`,
      "t.ts",
    );
    expect(runPackets(many, [new Uint8Array(34)]).verdicts).toEqual([1]);
    // was: "'xdp_t' needs 2128 bytes of stack; the limit is 512"
    const helper = compileDsl(
      `import { XdpContext, XdpAction, TcpHdr, HashMap, u32, u64, info } from "tsebpf";
export const M = new HashMap<u32, u64>(64);
function big(ctx: XdpContext, off: u32, salt: u32): u32 {
  let acc: u32 = salt;
  for (let i = 0; i < 24; i++) {
    const t = ctx.header(TcpHdr, off);
    if (t !== null) acc = (acc * 31 + t.srcPort + i) ^ (t.dstPort << 3);
    M.add(acc & 63, 1);
  }
  info(\`acc \${acc}\`);
  return acc;
}
export function xdp_t(ctx: XdpContext): XdpAction {
  const a = big(ctx, 34, 1);
  const b = big(ctx, 34, 2);
  const c = big(ctx, 14, 3);
  const d = big(ctx, 0, 4);
  return ((a ^ b ^ c ^ d) & 1) === 1 ? XdpAction.Drop : XdpAction.Pass;
}`,
      "h.ts",
    );
    const pkt = new Uint8Array(
      Buffer.from(
        "00112233445566778899aabb0800450000280000000040060000c6336403cb00710100501f90000000000000000050020000000000000000",
        "hex",
      ),
    );
    const r = runPackets(helper, [pkt]);
    expect(r.verdicts).toEqual([2]); // reference: PASS (computed in Python from the same packet)
    expect(r.logs.length).toBe(4);
  });
});

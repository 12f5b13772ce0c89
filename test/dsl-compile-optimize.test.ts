// The back end's waste removal (issue 9 §4), one small program per kind of waste: what the code
// no longer contains (static, from the instructions) and, in the kernel, that it still gives the
// verdicts and map contents it must. Random programs (test/dsl-gen, test/dsl-compile-arith) cover
// the same passes differentially.
import { describe, expect, it } from "vitest";
import { compileToInput } from "../compiler/dsl/index.js";
import { formatCompact } from "../compiler/diagnostics.js";
import { ALU, CLASS, JMP, SRC, insnWidth, type Insn } from "../compiler/isa/insn.js";
import { condOfCode } from "../compiler/isa/cond.js";
import { compileDsl } from "./helpers/dsl.js";
import { haveKernel } from "./helpers/env.js";
import { frame, ip4, u32le } from "./helpers/packets.js";
import { run, withObject } from "./helpers/run.js";

const HEAD = `import { XdpContext, XdpAction, Ipv4Hdr, UdpHdr, TcpHdr, HashMap, u8, u16, u32, u64, i32, bool } from "tsebpf";\n`;
const DROP = 1,
  PASS = 2;

const insnsOf = (src: string): Insn[] => {
  const r = compileToInput(HEAD + src, "t.ts", { sectionStyle: "tsebpf" });
  if (!r.input) throw new Error(r.diagnostics.map(formatCompact).join("\n"));
  return r.input.programs[0]!.func.insns;
};
const slots = (insns: Insn[]): number => insns.reduce((n, i) => n + insnWidth(i), 0);
const isCondJump = (i: Insn | undefined): boolean =>
  i !== undefined && ((i.code & 7) === CLASS.JMP || (i.code & 7) === CLASS.JMP32) && condOfCode(i.code) !== undefined;
const isMovK = (i: Insn): boolean =>
  i.code === (CLASS.ALU64 | ALU.MOV | SRC.K) || i.code === (CLASS.ALU | ALU.MOV | SRC.K);
const count = (insns: Insn[], p: (i: Insn) => boolean): number => insns.filter(p).length;
const verdicts = (src: string, packets: Uint8Array[]): number[] =>
  withObject(compileDsl(HEAD + src, "t.ts"), (o) => packets.map((p) => run(o, p)));

const BOOL_HELPER = `function isWeb(port: u16): bool {
  return port === 80 || port === 443;
}
export function xdp_t(ctx: XdpContext): XdpAction {
  const tcp = ctx.header(TcpHdr, 34);
  if (tcp === null) return XdpAction.Pass;
  if (isWeb(tcp.dstPort)) return XdpAction.Drop;
  return XdpAction.Pass;
}`;
const CONST_LEFT = `export function xdp_t(ctx: XdpContext): XdpAction {
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null) return XdpAction.Pass;
  if (10 < ip.protocol) return XdpAction.Drop;
  return XdpAction.Pass;
}`;
const MASKS = `export function xdp_t(ctx: XdpContext): XdpAction {
  const udp = ctx.header(UdpHdr, 34);
  if (udp === null) return XdpAction.Pass;
  const a: u16 = udp.dstPort + 1;
  const b: u16 = a & 0xff;
  return b === 7 ? XdpAction.Drop : XdpAction.Pass;
}`;
const SMALL_OFFSET = `export function xdp_t(ctx: XdpContext): XdpAction {
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null) return XdpAction.Pass;
  const udp = ctx.header(UdpHdr, 14 + (ip.ihl as u32) * 4);
  if (udp === null) return XdpAction.Pass;
  return udp.dstPort === 53 ? XdpAction.Drop : XdpAction.Pass;
}`;
const HAS_ADD = `export const M = new HashMap<u32, u64>(64);
export function xdp_t(ctx: XdpContext): XdpAction {
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null) return XdpAction.Pass;
  if (M.has(ip.srcAddr)) {
    M.add(ip.srcAddr, 5);
    const v = M.get(ip.srcAddr);
    return v !== null && v > 12 ? XdpAction.Drop : XdpAction.Tx;
  }
  return XdpAction.Pass;
}`;
// a key with padding after proto, zero fields, a field compared after it is stored, and the same
// port stores at the end of two branches
const FLOW_KEY = `interface Key {
  addr: u32;
  srcPort: u16;
  dstPort: u16;
  proto: u8;
}
export const SEEN = new HashMap<Key, u64>(64);
export function xdp_t(ctx: XdpContext): XdpAction {
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null) return XdpAction.Pass;
  const k: Key = { addr: ip.srcAddr, srcPort: 0, dstPort: 0, proto: ip.protocol };
  if (k.proto === 6) {
    const tcp = ctx.header(TcpHdr, 34);
    if (tcp === null) return XdpAction.Aborted;
    k.srcPort = tcp.srcPort;
    k.dstPort = tcp.dstPort;
  } else if (k.proto === 17) {
    const udp = ctx.header(UdpHdr, 34);
    if (udp === null) return XdpAction.Aborted;
    k.srcPort = udp.srcPort;
    k.dstPort = udp.dstPort;
  }
  return SEEN.has(k) ? XdpAction.Drop : XdpAction.Pass;
}`;
const isStackStore = (i: Insn): boolean => ((i.code & 7) === CLASS.STX || (i.code & 7) === CLASS.ST) && i.dst === 10;

const FIB_HEAD = `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, ArrayMap, u32, u64 } from "tsebpf";
import { fibLookup, redirect, AF_INET } from "tsebpf";
export const STATS = new ArrayMap<u32, u64>(16);
export function xdp_t(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (eth === null || ip === null) return XdpAction.Pass;
  const fib = fibLookup(ctx, { family: AF_INET, ifindex: ctx.ingressIfindex, ipv4Dst: ip.dstAddr }, 0);
  STATS.add(fib.ret as u32, 1);
  if (fib.ret !== 0) return XdpAction.Pass;
  eth.dstMac = fib.dmac;
  eth.srcMac = fib.smac;
  return redirect(fib.ifindex);
}`;

describe("DSL back end: waste removed", () => {
  it("a struct's zero fields and padding are written by few aligned stores, its fields read back from registers", () => {
    const insns = insnsOf(FLOW_KEY);
    // addr, the zeroes of srcPort..padding (two aligned u32), proto; then the two ports once (shared tail)
    expect(count(insns, isStackStore)).toBe(6);
    // the zeroes are store-immediate (BPF_ST) instructions: no register holds 0
    expect(count(insns, (i) => (i.code & 7) === CLASS.ST && i.dst === 10 && i.imm === 0)).toBe(2);
    expect(count(insns, (i) => isMovK(i) && i.imm === 0 && i.dst !== 0)).toBe(0);
    expect(count(insns, (i) => (i.code & 7) === CLASS.LDX && i.src === 10)).toBe(0);
    expect(count(insns, (i) => (i.code & 0xf0) === ALU.END)).toBe(3); // addr, two ports
    // the if's bodies fall through to the lookup after them: one jump, from the UDP check into the shared stores
    expect(count(insns, (i) => i.code === (CLASS.JMP | JMP.JA))).toBe(1);
  });

  it("fibLookup: constants stored as immediates, MACs copied as bytes, ret compared without its sign extension", () => {
    const r = compileToInput(FIB_HEAD, "t.ts", { sectionStyle: "tsebpf" });
    if (!r.input) throw new Error(r.diagnostics.map(formatCompact).join("\n"));
    const insns = r.input.programs[0]!.func.insns;
    // family and the zeroes: BPF_ST, no register loaded with a constant to be stored
    expect(count(insns, (i) => (i.code & 7) === CLASS.ST && i.dst === 10)).toBeGreaterThanOrEqual(4);
    expect(count(insns, (i) => isMovK(i) && i.imm === 0 && i.dst > 5)).toBe(0);
    // the MACs: 4 loads from the stack (a 2- and a 4-byte piece each) stored as they are, no shifts or swaps
    expect(count(insns, (i) => (i.code & 7) === CLASS.LDX && i.src === 10)).toBe(6); // + ifindex, ret
    const alu = (i: Insn, op: number) =>
      ((i.code & 7) === CLASS.ALU || (i.code & 7) === CLASS.ALU64) && (i.code & 0xf0) === op;
    expect(count(insns, (i) => alu(i, ALU.LSH) || alu(i, ALU.ARSH) || alu(i, ALU.END))).toBe(0);
    // fib.ret !== 0 compares the 32 bits (no sign extension)
    expect(insns.some((i) => (i.code & 7) === CLASS.JMP32 && condOfCode(i.code) === "ne" && i.imm === 0)).toBe(true);
  });

  it("an inlined bool helper leaves no `rX = K; if rX …` pair", () => {
    const insns = insnsOf(BOOL_HELPER);
    const pairs = insns.filter((i, n) => isMovK(i) && isCondJump(insns[n + 1]) && insns[n + 1]!.dst === i.dst);
    expect(pairs).toEqual([]);
    expect(slots(insns)).toBeLessThanOrEqual(12);
  });

  it("a constant on the left of a comparison is an immediate, not a register", () => {
    const insns = insnsOf(CONST_LEFT);
    expect(count(insns, isMovK)).toBe(2); // r0 = 1 and r0 = 2 only
    expect(insns.some((i) => condOfCode(i.code) === "gt" && (i.code & SRC.X) === 0 && i.imm === 10)).toBe(true);
  });

  it("a mask that keeps every bit a value can have goes, and two masks in a row are one", () => {
    const ands = count(insnsOf(MASKS), (i) => (i.code & 0xf0) === ALU.AND && (i.code & 7) !== CLASS.JMP);
    expect(ands).toBe(1);
  });

  it("/ and % of never-negative values are div/mod (v1), of signed ones sdiv/smod (v4)", () => {
    const divs = (src: string) =>
      insnsOf(src)
        .filter((i) => (i.code & 7) === CLASS.ALU64 && ((i.code & 0xf0) === ALU.DIV || (i.code & 0xf0) === ALU.MOD))
        .map((i) => ((i.code & 0xf0) === ALU.DIV ? "div" : "mod") + (i.off === 1 ? "/signed" : ""));
    const body = (e: string) =>
      `export function xdp_t(ctx: XdpContext): XdpAction {\n  const ip = ctx.header(Ipv4Hdr, 14);\n` +
      `  if (ip === null) return XdpAction.Pass;\n  let x: u32 = ${e};\n  x %= 7;\n` +
      `  return x === 3 ? XdpAction.Drop : XdpAction.Pass;\n}\n`;
    expect(divs(body("ip.srcAddr % 100 + ip.dstAddr / ip.ttl"))).toEqual(["mod", "div", "mod"]);
    expect(divs(body("((ip.srcAddr as i32) % 100) as u32"))).toEqual(["mod/signed", "mod"]);
  });

  it("an offset that cannot be large is not clamped", () => {
    expect(insnsOf(SMALL_OFFSET).some((i) => i.imm === 0xff00)).toBe(false);
  });

  it("has() then add() and get() of the same key: one lookup, no insert", () => {
    const insns = insnsOf(HAS_ADD);
    const calls = insns.filter((i) => i.code === (CLASS.JMP | JMP.CALL)).map((i) => i.imm);
    expect(calls).toEqual([1]);
  });
});

describe.skipIf(!haveKernel)("DSL back end: waste removed, same results in the kernel", () => {
  it("bool helper, constant on the left, masks, small offsets", () => {
    expect(
      verdicts(
        BOOL_HELPER,
        [80, 443, 53, 8080].map((p) => frame({ proto: 6, dstPort: p })),
      ),
    ).toEqual([DROP, DROP, PASS, PASS]);
    expect(verdicts(CONST_LEFT, [frame({ proto: 17 }), frame({ proto: 1 }), frame({ proto: 10 })])).toEqual([
      DROP,
      PASS,
      PASS,
    ]);
    expect(
      verdicts(
        MASKS,
        [6, 0xffff, 0x0106, 0x0107].map((p) => frame({ dstPort: p })),
      ),
    ).toEqual([DROP, PASS, DROP, PASS]);
    expect(
      verdicts(
        SMALL_OFFSET,
        [53, 54].map((p) => frame({ dstPort: p })),
      ),
    ).toEqual([DROP, PASS]);
  });

  it("a key with zeroed padding and ports stored in two branches finds the element the map holds", () => {
    // addr 198.51.100.7 (host order), ports, proto 6 or 17, three zero bytes of padding
    const key = (proto: number, sp: number, dp: number): Uint8Array => {
      const b = new Uint8Array(12);
      const v = new DataView(b.buffer);
      v.setUint32(0, ip4("198.51.100.7"), true);
      v.setUint16(4, sp, true);
      v.setUint16(6, dp, true);
      b[8] = proto;
      return b;
    };
    withObject(compileDsl(HEAD + FLOW_KEY, "t.ts"), (o) => {
      const m = o.map("SEEN")!;
      for (const k of [key(6, 1000, 80), key(17, 1001, 53), key(1, 0, 0)]) m.set(k, new Uint8Array(8));
      const src = "198.51.100.7";
      const got = [
        frame({ src, proto: 6, srcPort: 1000, dstPort: 80 }),
        frame({ src, proto: 6, srcPort: 1000, dstPort: 81 }),
        frame({ src, proto: 17, srcPort: 1001, dstPort: 53 }),
        frame({ src, proto: 17, srcPort: 1000, dstPort: 80 }),
        frame({ src, proto: 1 }),
        frame({ src: "198.51.100.8", proto: 1 }),
      ].map((p) => run(o, p));
      expect(got).toEqual([DROP, PASS, DROP, PASS, DROP, PASS]);
    });
  });

  it("has() then add() and get(): the element is updated in place, an absent key is not inserted", () => {
    const key = (a: string): Uint8Array => u32le(ip4(a));
    const u64 = (n: number): Uint8Array => new Uint8Array(new BigUint64Array([BigInt(n)]).buffer);
    withObject(compileDsl(HEAD + HAS_ADD, "t.ts"), (o) => {
      const m = o.map("M")!;
      m.set(key("198.51.100.7"), u64(3));
      const got = ["198.51.100.7", "198.51.100.7", "198.51.100.1"].map((src) => run(o, frame({ src })));
      expect(got).toEqual([3, DROP, PASS]); // 3 + 5 = 8 → Tx; 8 + 5 = 13 → Drop; absent → Pass
      expect([...m.get(key("198.51.100.7"))!]).toEqual([...u64(13)]);
      expect(m.get(key("198.51.100.1"))).toBeUndefined();
    });
  });
});

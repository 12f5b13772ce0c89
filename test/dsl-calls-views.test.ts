// Header views and global functions as function parameters (issue 9 §3): a subprogram taking the
// caller's bounds-checked IPv4 and UDP views (one at a variable offset) reads and writes their
// fields — in the kernel (each run checked against the VM: helpers/twin.ts) and inlined alike,
// against values computed here; the BTF prototype names the views as pointers; the diagnostics of
// a nullable view parameter and of an unchecked view argument. Global functions (exported, not XDP
// programs): BTF linkage global, called with a relocation naming them, loaded and run in the kernel
// and the VM with a map value, a stack struct, a view and ctx as arguments; what they cannot do (TSB9081),
// among it a call that would be call frame 9 (a static function above global ones is inlined instead).
import { describe, expect, it } from "vitest";
import { compileToInput } from "../compiler/dsl/index.js";
import { readBpfObject } from "../compiler/elf/read-object.js";
import { checkDiags, compileDsl, XDP_HEAD } from "./helpers/dsl.js";
import { haveKernel } from "./helpers/env.js";
import { frame } from "./helpers/packets.js";
import { withObject } from "./helpers/run.js";
import { testRunChecked } from "./helpers/twin.js";

/** score() reads and writes both views; xdp_v calls it twice (a subprogram). */
const VIEWS = `function score(ip: Ipv4Hdr, udp: UdpHdr, k: u32): u32 {
  let s: u32 = ip.ttl ^ k;
  if (udp.dstPort > 1000) s = s + udp.dstPort - 1000;
  else s = s * 3;
  ip.ttl = ip.ttl - 1;
  udp.srcPort = (udp.srcPort + k) as u16;
  return s + (ip.tos & 7);
}
export function xdp_v(ctx: XdpContext): XdpAction {
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null) return XdpAction.Pass;
  const udp = ctx.header(UdpHdr, EthHdr.size + ip.ihl * 4);
  if (udp === null) return XdpAction.Pass;
  const s = SCORE;
  return s > 600 ? XdpAction.Tx : s > 100 ? XdpAction.Drop : XdpAction.Pass;
}
`;
const twice = XDP_HEAD + VIEWS.replace("SCORE", "score(ip, udp, 1) + score(ip, udp, 2)");
const once = XDP_HEAD + VIEWS.replace("SCORE", "score(ip, udp, 3)");

/** What `twice` does to a UDP frame: the verdict and the frame after it. */
function expectTwice(f: Uint8Array): { verdict: number; packet: string } {
  const b = Buffer.from(f);
  let total = 0;
  for (const k of [1, 2]) {
    const ttl = b[22]!,
      dst = b.readUInt16BE(36);
    const s = dst > 1000 ? ((ttl ^ k) + dst - 1000) >>> 0 : ((ttl ^ k) * 3) >>> 0;
    b[22] = (ttl - 1) & 0xff;
    b.writeUInt16BE((b.readUInt16BE(34) + k) & 0xffff, 34);
    total += (s + (b[15]! & 7)) >>> 0;
  }
  return { verdict: total > 600 ? 3 : total > 100 ? 1 : 2, packet: b.toString("hex") };
}

describe("header view parameters", () => {
  it("make a static subprogram whose BTF prototype takes the views as pointers", () => {
    const r = compileToInput(twice, "v.ts", { sectionStyle: "tsebpf" });
    const sub = r.input!.subprograms!.find((f) => f.name === "score")!;
    expect(sub.global).toBe(false);
    expect(sub.proto!.params.map((p) => p.type.kind)).toEqual(["ptr", "ptr", "int"]);
    expect(compileToInput(once, "v.ts", { sectionStyle: "tsebpf" }).input!.subprograms).toBeUndefined();
  });

  it("refuse a nullable view parameter (TSB9080) and an argument not tested against null (TS2322)", () => {
    const fn = "function f(ip: Ipv4Hdr | null): u32 { return ip.ttl; }\n";
    const prog = (body: string) =>
      `${fn}export function xdp_t(ctx: XdpContext): XdpAction {\n  const ip = ctx.header(Ipv4Hdr, 14);\n${body}\n}\n`;
    expect(
      checkDiags(
        prog("  if (ip === null) return XdpAction.Pass;\n  return f(ip) > 1 ? XdpAction.Drop : XdpAction.Pass;"),
      ),
    ).toEqual([
      "TSB9080 A header view parameter cannot be null: test the view against null before the call and declare 'ip: Ipv4Hdr' (a function has no data_end to check it against).",
    ]);
    const g = prog("  return g(ip) > 1 ? XdpAction.Drop : XdpAction.Pass;").replace(
      fn,
      "function g(ip: Ipv4Hdr): u32 { return ip.ttl; }\n",
    );
    expect(checkDiags(g)).toEqual([
      "TS2322 Argument of type 'Ipv4Hdr | null' is not assignable to parameter of type 'Ipv4Hdr' (in a call to 'g').",
    ]);
  });

  it.skipIf(!haveKernel)("are read and written through in the kernel and the VM, called or inlined", () => {
    const pkts = [
      frame({ proto: 17, dstPort: 1500, srcPort: 1234 }),
      frame({ proto: 17, dstPort: 53 }),
      frame({ proto: 17, dstPort: 1010, srcPort: 65535 }),
      frame({ proto: 17, dstPort: 1700 }),
      frame({ proto: 17 }).subarray(0, 40), // a short UDP header: Pass, untouched
    ];
    pkts[1]![15] = 5; // tos
    const want = pkts.map((p, i) =>
      i === 4 ? { verdict: 2, packet: Buffer.from(p).toString("hex") } : expectTwice(p),
    );
    expect(new Set(want.map((w) => w.verdict))).toEqual(new Set([1, 2, 3]));
    withObject(compileDsl(twice, "v.ts"), (o) => {
      const got = pkts.map((p) => testRunChecked(o, p));
      expect(got.map((k) => ({ verdict: k.retval, packet: Buffer.from(k.dataOut).toString("hex") }))).toEqual(want);
    });
    withObject(compileDsl(once, "v.ts"), (o) => {
      const k = testRunChecked(o, pkts[0]!);
      expect(Buffer.from(k.dataOut)[22]).toBe(pkts[0]![22]! - 1);
    });
  });
});

/** account() takes a map value or a stack struct and a view; portOf() takes ctx and reads at a variable offset. */
const GLOBALS = `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, UdpHdr, ArrayMap, u8, u16, u32, u64 } from "tsebpf";
interface Acc { n: u32; sum: u64 }
export const STATS = new ArrayMap<u32, Acc>(1);
export function account(a: Acc, ip: Ipv4Hdr, w: u32): u32 {
  a.n += 1;
  a.sum += ip.ttl * w;
  ip.tos = (ip.tos + w) as u8;
  if (a.sum > 300) return 1;
  return 0;
}
export function portOf(ctx: XdpContext, off: u32): u16 {
  const udp = ctx.header(UdpHdr, off);
  if (udp === null) return 0;
  return udp.dstPort;
}
export function xdp_g(ctx: XdpContext): XdpAction {
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null) return XdpAction.Pass;
  const local: Acc = { n: 0, sum: 0 };
  const p = portOf(ctx, EthHdr.size + ip.ihl * 4);
  const s = STATS.get(0);
  if (s !== null) account(s, ip, p & 3);
  if (account(local, ip, 2) > 0) return XdpAction.Drop;
  return p > 1000 ? XdpAction.Tx : XdpAction.Pass;
}
`;

/** GLOBALS on UDP frames: verdicts, output frames and STATS[0] (n, sum) after them all. */
function expectGlobals(frames: Uint8Array[]) {
  let n = 0,
    sum = 0n;
  const runs = frames.map((f) => {
    const b = Buffer.from(f);
    const p = b.length >= 42 ? b.readUInt16BE(36) : 0;
    n++;
    sum += BigInt(b[22]! * (p & 3));
    b[15] = (b[15]! + (p & 3) + 2) & 0xff;
    const verdict = b[22]! * 2 > 300 ? 1 : p > 1000 ? 3 : 2;
    return { verdict, packet: b.toString("hex") };
  });
  return { runs, n, sum };
}

describe("global functions", () => {
  const bytes = compileDsl(GLOBALS, "g.ts");

  it("are global FUNC symbols in .text with BTF linkage global, called through relocations naming them", () => {
    const model = readBpfObject(bytes);
    expect(model.functions!.map((f) => f.name).sort()).toEqual(["account", "portOf"]);
    const calls = model.programs[0]!.relocs.filter((r) => r.kind === "call").map((r) => r.symbol);
    expect(calls.sort()).toEqual(["account", "account", "portOf"]);
    const r = compileToInput(GLOBALS, "g.ts", { sectionStyle: "tsebpf" });
    expect(r.input!.subprograms!.map((f) => [f.name, f.global])).toEqual([
      ["account", true],
      ["portOf", true],
    ]);
  });

  it("refuse what the kernel cannot verify on its own or the compiler must inline (TSB9081)", () => {
    const src = (fn: string, call: string) =>
      `${XDP_HEAD}interface P { a: u32 }\n${fn}\nexport function xdp_t(ctx: XdpContext): XdpAction {\n  return ${call} > 3 ? XdpAction.Drop : XdpAction.Pass;\n}\n`;
    const err = (fn: string, call: string) => () => compileDsl(src(fn, call), "t.ts");
    expect(err("export function mk(x: u32): P { return { a: x }; }", "mk(1).a")).toThrow(
      /TSB9081: 'mk' is a global function \(exported, verified on its own\): it returns an integer, bool or void/,
    );
    expect(err('export function lg(x: u32): u32 { info("x"); return x; }', "lg(1)")).toThrow(
      /TSB9081: 'lg' is a global function .*: it logs \(a log record names its program\); make it a function that is not exported/,
    );
    const adj = "function adj(ctx: XdpContext): u32 { ctx.adjustHead(0); return 1; }\n";
    expect(
      err(`${adj}export function ad(ctx: XdpContext, x: u32): u32 { return adj(ctx) + x; }`, "ad(ctx, 1)"),
    ).toThrow(/TSB9081: 'ad' .*: it calls 'adj', which calls ctx.adjustHead\(\)/);
  });

  /** A chain of `n` global functions g1 → … → gn under xdp_deep, through `s` (static, called from
   *  two places, large enough to be a subprogram) when `viaStatic`. */
  const chain = (n: number, viaStatic = false) => {
    let src = XDP_HEAD;
    for (let i = 1; i <= n; i++)
      src += `export function g${i}(x: u32): u32 { return ${i < n ? `g${i + 1}(x + ${i}) ^ x` : "x * 3"}; }\n`;
    src += `function s(x: u32, y: u32): u32 {\n  let a: u32 = x * y + 3;\n  if (a > 100) a = a - y * 2 + x;\n  else a = a * 7 + y;\n  return g1(a) + (a ^ y);\n}\n`;
    const body = viaStatic ? "s(ctx.length, 3) + s(ctx.length, 9)" : "g1(ctx.length)";
    return `${src}export function xdp_deep(ctx: XdpContext): XdpAction {\n  return ${body} > 5 ? XdpAction.Drop : XdpAction.Pass;\n}\n`;
  };

  it("refuse a global function whose call would be call frame 9 (TSB9081, at the call); inline a static one above", () => {
    // the kernel: "the call stack of 8 frames is too deep !" (frames counted from 0)
    expect(() => compileDsl(chain(8), "t.ts")).toThrow(
      /^t\.ts:8:42: error TSB9081: 'g8' is a global function \(exported, verified on its own\): this call would be call frame 9 \(xdp_deep → g1 → g2 → … → g7 → g8\) and the kernel allows 8 \(MAX_CALL_FRAMES\)/,
    );
    const subs = (src: string) =>
      compileToInput(src, "t.ts", { sectionStyle: "tsebpf" }).input!.subprograms!.map((f) => f.name);
    expect(subs(chain(7))).toHaveLength(7);
    expect(subs(chain(7, true))).not.toContain("s"); // a call to s would make g7 frame 9
    expect(subs(chain(6, true))).toContain("s");
  });

  it.skipIf(!haveKernel)("load 8 frames deep, a static function inlined above 7 global ones", () => {
    for (const src of [chain(7), chain(7, true), chain(6, true)])
      withObject(compileDsl(src, "t.ts"), (o) => expect(testRunChecked(o, frame()).retval).toBe(1));
  });

  it.skipIf(!haveKernel)("load and give the results computed here, in the kernel and the VM", () => {
    const pkts = [
      frame({ proto: 17, dstPort: 1501 }),
      frame({ proto: 17, dstPort: 53 }),
      frame({ proto: 17, dstPort: 1002 }),
      frame({ proto: 17, dstPort: 1502 }).subarray(0, 40), // no UDP header: port 0
    ];
    pkts[1]![22] = 200; // ttl: 2 * 200 > 300 drops
    const want = expectGlobals(pkts);
    expect(new Set(want.runs.map((r) => r.verdict))).toEqual(new Set([1, 2, 3]));
    withObject(bytes, (o) => {
      const got = pkts.map((p) => testRunChecked(o, p));
      expect(got.map((k) => ({ verdict: k.retval, packet: Buffer.from(k.dataOut).toString("hex") }))).toEqual(
        want.runs,
      );
      const v = Buffer.from(o.map("STATS")!.get(new Uint8Array(4))!);
      expect({ n: v.readUInt32LE(0), sum: v.readBigUInt64LE(8) }).toEqual({ n: want.n, sum: want.sum });
    });
  });
});

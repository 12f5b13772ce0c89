// The integer rule in the kernel (compiler/dsl/int-rule.ts): the examples of issue 7 compiled,
// loaded and run, folded (constant operands) and at run time (operands from the packet), each
// printed through a log line and compared with the value the rule gives; `as` of literal
// expressions and constant comparisons of mixed signedness against the same code at run time.
import { describe, expect, it } from "vitest";
import { haveKernel } from "./helpers/env.js";
import { XDP_HEAD, checkDiags, compileDsl } from "./helpers/dsl.js";
import { runPackets } from "./helpers/run.js";
import { frame } from "./helpers/packets.js";

const SRC = `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, IcmpHdr, info, hex, u8, u16, u32, u64, i32 } from "tsebpf";
export function xdp_int(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.Pass;
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null) return XdpAction.Pass;
  const icmp = ctx.header(IcmpHdr, EthHdr.size + Ipv4Hdr.size);
  if (icmp === null) return XdpAction.Pass;
  const t: u32 = ip.ttl + 200;
  const w: u16 = (icmp.type << 8) | icmp.code;
  const big: u32 = ip.srcAddr;
  const z: i32 = (ip.ttl as i32) - 64;
  const sh: u32 = ip.ttl << 9;
  const below = ip.ttl - 65 < 0;
  info(\`t=\${t} w=\${hex(w)} gt=\${big > z} sh=\${sh} below=\${below} log=\${ip.ttl + 200} len=\${(1000 + ctx.length) as u8}\`);
  const k: u8 = 64;
  const c: u16 = 0x0803;
  const kt: u32 = k + 200;
  const kw: u16 = ((c >> 8) << 8) | (c & 0xff);
  const kbig: u32 = 0x80000000;
  const kz: i32 = 0;
  const ksh: u32 = k << 9;
  const k16: u16 = 3;
  const kshr: u32 = (k16 << 15) >> 14;
  info(\`t=\${kt} w=\${hex(kw)} gt=\${kbig > kz} sh=\${ksh} below=\${k - 65 < 0} shr=\${kshr} rt=\${((ip.ttl >> 5) + 1) << 15 >> 14}\`);
  return XdpAction.Pass;
}
`;

describe.skipIf(!haveKernel)("integer rule in the kernel", () => {
  it("widens before it computes: issue 7's examples, folded and at run time", () => {
    // ICMP type 8 code 3 (the UDP source-port bytes of the test frame), ttl 64, from 198.51.100.1
    const pkt = frame({ proto: 1, srcPort: 0x0803 });
    const { verdicts, logs } = runPackets(compileDsl(SRC, "int.ts"), [pkt]);
    expect(verdicts).toEqual([2]);
    const len = (1000 + pkt.length) & 0xff;
    expect(logs).toEqual([
      `t=264 w=803 gt=true sh=32768 below=true log=8 len=${len}`,
      "t=264 w=803 gt=true sh=32768 below=true shr=6 rt=6",
    ]);
  });
});

describe.skipIf(!haveKernel)("integer rule in the kernel: `as` and mixed signedness", () => {
  it("`as` of literal expressions wraps to the target width", () => {
    const bytes = compileDsl(
      XDP_HEAD +
        `export function xdp_t(ctx: XdpContext): XdpAction {
  const y: u16 = (0xfff0 + 0x20) as u16;
  const z: u8 = 300 as u8;
  const w: i8 = 200 as i8;
  let a: u32 = ctx.length;
  a += y + z;
  info(\`\${a} \${w}\`);
  return XdpAction.Pass;
}`,
      "t.ts",
    );
    const { verdicts, logs } = runPackets(bytes, [frame()]);
    expect(verdicts).toEqual([2]);
    expect(logs.length).toBe(1);
    expect(logs[0]).toMatch(/ -56$/);
  });

  it("constant comparisons of mixed signedness fold as the compiled code compares (both sides widened to i64)", () => {
    // each pair: the same comparison on constants and on run-time values (ctx.length is 34); both must agree
    const pairs: [string, string][] = [
      [
        "const s: i16 = -1; const u: u16 = 0xffff;",
        "const s: i16 = (ctx.length as i16) - 35; const u: u16 = (ctx.length as u16) - 35;",
      ],
      [
        "const s: i32 = -1; const u: u32 = 0xffffffff;",
        "const s: i32 = (ctx.length as i32) - 35; const u: u32 = ctx.length - 35;",
      ],
      ["const s: i8 = -1; const u: u32 = 1;", "const s: i8 = (ctx.length as i8) - 35; const u: u32 = ctx.length - 33;"],
    ];
    const verdict = (decl: string) =>
      runPackets(
        compileDsl(
          XDP_HEAD +
            `import { i16, i64 } from "tsebpf";
export function xdp_t(ctx: XdpContext): XdpAction {
  ${decl}
  return s < u ? XdpAction.Tx : s === u ? XdpAction.Drop : XdpAction.Pass;
}`,
          "t.ts",
        ),
        [new Uint8Array(34)],
      ).verdicts[0];
    for (const [k, r] of pairs) expect([k, verdict(k)]).toEqual([k, verdict(r)]);
    // literals alone compare as numbers (as tsc sees them)
    expect(
      checkDiags(
        `export function xdp_t(ctx: XdpContext): XdpAction { return -1 < 0xffffffff ? XdpAction.Tx : XdpAction.Pass; }`,
      ),
    ).toEqual([]);
  });
});

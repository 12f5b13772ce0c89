// The verifier's units (compiler/dsl/call-graph.ts): a program's estimate counts each static
// subprogram again per call site and a global one not at all (the kernel checks it on its own); the
// maps of a unit are those of every function it reaches, global ones included; `build -v` stats of
// a program with global functions.
import { describe, expect, it } from "vitest";
import { type CompiledFn, unitEstimate, unitMaps } from "../compiler/dsl/call-graph.js";
import { compileToObject } from "../compiler/dsl/index.js";
import type { Insn } from "../compiler/isa/insn.js";

const call = (symbol: string): Insn => ({ code: 0x85, dst: 0, src: 1, off: 0, imm: -1, symbol });
const ldMap = (symbol: string): Insn => ({ code: 0x18, dst: 1, src: 1, off: 0, imm: 0, symbol });
const fns = new Map<string, CompiledFn>([
  ["prog", { insns: [call("s"), call("s"), call("g"), ldMap("A")], estimate: 10, global: false }],
  ["s", { insns: [call("t"), ldMap("B"), ldMap("A")], estimate: 5, global: false }],
  ["t", { insns: [], estimate: 2, global: false }],
  ["g", { insns: [call("t"), ldMap("C")], estimate: 7, global: true }],
]);

describe("verifier units", () => {
  it("count a static subprogram per call site and a global function apart", () => {
    expect(unitEstimate("prog", fns)).toBe(10 + 2 * (5 + 2));
    expect(unitEstimate("g", fns)).toBe(7 + 2);
  });

  it("count the distinct maps of every function a unit reaches", () => {
    expect(unitMaps("prog", fns).map((m) => m.map)).toEqual(["A", "B", "C"]);
    expect(unitMaps("g", fns).map((m) => m.map)).toEqual(["C"]);
  });

  it("give build -v a line per program and per global function, with map counts", () => {
    const src = `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, ArrayMap, u32 } from "tsebpf";
export const M = new ArrayMap<u32, u32>(1);
export function bump(ip: Ipv4Hdr, k: u32): u32 {
  const v = M.get(k & 0);
  if (v === null) return 0;
  return v + ip.ttl;
}
export function xdp_t(ctx: XdpContext): XdpAction {
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null) return XdpAction.Pass;
  return bump(ip, 1) > 3 ? XdpAction.Drop : XdpAction.Pass;
}
`;
    const st = compileToObject(src, "t.ts", { sectionStyle: "tsebpf" }).stats!;
    expect(st.map((s) => [s.name, s.global ?? false, s.maps])).toEqual([
      ["xdp_t", false, 1],
      ["bump", true, 1],
    ]);
  });
});

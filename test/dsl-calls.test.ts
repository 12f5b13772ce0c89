// BPF-to-BPF calls (issue 9 §3): which helper functions become subprograms (compiler/dsl/inlining.ts),
// what the object holds for them (.text, R_BPF_64_32 against .text as clang writes it, BTF FUNC and
// FUNC_PROTO, func and line info per subprogram), the call-chain stack limit, and runs of a program
// whose subprograms take integers, a struct on the caller's stack, a map value and ctx — in the
// kernel (also loaded by bpftool) and in the VM, against values computed here.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileToInput } from "../compiler/dsl/index.js";
import { readBpfObject } from "../compiler/elf/read-object.js";
import { readElf } from "../compiler/elf/read-elf.js";
import { XdpVm } from "../loader/vm/xdp.js";
import { compileDsl, XDP_HEAD } from "./helpers/dsl.js";
import { haveKernel, haveTools } from "./helpers/env.js";
import { frame } from "./helpers/packets.js";
import { run, withObject } from "./helpers/run.js";
import { suiteDir } from "./helpers/tmp.js";

/** A helper worth a call: a few statements. */
const MIX = `function mix(a: u32, b: u32): u32 {
  let s: u32 = a ^ b;
  if (s > 1000) s = s - 1000;
  else s = s * 3;
  return s + (a & 7);
}
`;
const prog = (body: string) => `${XDP_HEAD}${MIX}export function xdp_t(ctx: XdpContext): XdpAction {
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null) return XdpAction.Pass;
${body}
}
`;

const subprograms = (src: string): string[] => {
  const r = compileToInput(src, "t.ts", { sectionStyle: "tsebpf" });
  if (!r.input) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return (r.input.subprograms ?? []).map((f) => f.name);
};

describe("the inlining rule", () => {
  it("calls a function used from two places and inlines one used once", () => {
    expect(
      subprograms(prog("  return mix(ip.srcAddr, ip.dstAddr) + mix(ip.ttl, 3) > 9 ? XdpAction.Drop : XdpAction.Pass;")),
    ).toEqual(["mix"]);
    expect(subprograms(prog("  return mix(ip.srcAddr, ip.dstAddr) > 9 ? XdpAction.Drop : XdpAction.Pass;"))).toEqual(
      [],
    );
  });

  it("inlines tiny bodies and functions that log, wherever they are called from", () => {
    const tiny = `function big(x: u32): u32 { return x >> 10; }\n`;
    const logs = MIX.replace("return s", 'info("mixed");\n  return s');
    const both = "  return mix(ip.srcAddr, 1) + mix(ip.ttl, 3) > 9 ? XdpAction.Drop : XdpAction.Pass;";
    expect(
      subprograms(tiny + prog(`  if (big(ip.srcAddr) + big(ip.ttl) > 0) return XdpAction.Drop;\n${both}`)),
    ).toEqual(["mix"]);
    expect(subprograms(prog(both).replace(MIX, logs))).toEqual([]);
  });

  it("refuses a call chain whose frames need more than 512 bytes of stack, before the verifier", () => {
    const deep = `interface Big { a: FixedArray<u64, 40> }
function fill(x: u32): u64 {
  const b: Big = { a: [${Array(40).fill("x").join(", ")}] };
  return b.a[x & 31] + b.a[(x >> 5) & 31];
}
`;
    const body = `  const mine: Big = { a: [${Array(40).fill("ip.ttl").join(", ")}] };
  return fill(ip.srcAddr) + fill(ip.dstAddr) + mine.a[ip.tos & 31] > 9 ? XdpAction.Drop : XdpAction.Pass;`;
    const src = prog(body).replace(XDP_HEAD, `${XDP_HEAD}import { FixedArray } from "tsebpf";\n${deep}`);
    expect(() => compileDsl(src, "t.ts")).toThrow(
      new RegExp(
        "TSB\\d+: 'xdp_t' needs \\d+ bytes of stack through its calls " +
          "\\(xdp_t → fill; each frame's stack rounded up to 32\\); the limit is 512",
      ),
    );
  });
});

describe("the object", () => {
  const src = prog("  return mix(ip.srcAddr, ip.dstAddr) + mix(ip.ttl, 3) > 9 ? XdpAction.Drop : XdpAction.Pass;");
  const bytes = compileDsl(src, "t.ts");

  it("puts the subprogram in .text, called with src BPF_PSEUDO_CALL and R_BPF_64_32 against .text", () => {
    const elf = readElf(bytes);
    expect(elf.sections.map((s) => s.name)).toContain(".text");
    const rel = elf.sections.find((s) => s.name === ".relxdp/xdp_t")!;
    const calls = readBpfObject(bytes).programs[0]!.insns.filter((i) => i.code === 0x85 && i.src === 1);
    expect(calls.map((i) => i.imm)).toEqual([-1, -1]); // mix at .text offset 0: imm = slot - 1
    expect(rel).toBeDefined();
    const model = readBpfObject(bytes);
    expect(model.functions!.map((f) => f.name)).toEqual(["mix"]);
    expect(model.programs[0]!.relocs.filter((r) => r.kind === "call")).toHaveLength(2);
  });

  it.skipIf(!haveTools("llvm-objdump-19", "bpftool"))(
    "is read by llvm-objdump-19 and bpftool as clang's objects are",
    () => {
      const f = suite("t.o");
      writeFileSync(f, bytes);
      const dump = execFileSync("llvm-objdump-19", ["-dr", f], { encoding: "utf8" });
      expect(dump).toMatch(/<mix>:/);
      expect(dump.match(/R_BPF_64_32\t\.text/g)).toHaveLength(2);
      const btf = execFileSync("bpftool", ["btf", "dump", "file", f], { encoding: "utf8" });
      expect(btf).toMatch(/FUNC 'mix' type_id=\d+ linkage=static/);
      expect(btf).toMatch(/FUNC_PROTO '\(anon\)' ret_type_id=\d+ vlen=2\n\t'a' type_id=\d+\n\t'b' type_id=\d+/);
    },
  );
  const suite = suiteDir("tsebpf-calls-");
});

/** Subprograms with a struct on the caller's stack, a map value, and ctx (their own bounds check). */
const CALLS = `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, UdpHdr, ArrayMap, u16, u32, u64 } from "tsebpf";
interface Acc { n: u32; sum: u64 }
export const STATS = new ArrayMap<u32, Acc>(1);
function add(a: Acc, v: u32, w: u32): u32 {
  a.n += 1;
  a.sum += v * w;
  if (a.sum > 5000) return 1;
  return 0;
}
function port(ctx: XdpContext, off: u32): u16 {
  const udp = ctx.header(UdpHdr, off);
  if (udp === null) return 0;
  if (udp.dstPort > 1000) return udp.dstPort - 1000;
  return (udp.dstPort + off) as u16;
}
export function xdp_calls(ctx: XdpContext): XdpAction {
  const local: Acc = { n: 0, sum: 0 };
  const p = port(ctx, EthHdr.size + Ipv4Hdr.size);
  const q = port(ctx, EthHdr.size);
  const over = add(local, p, 2) + add(local, q, 3);
  const s = STATS.get(0);
  if (s !== null) {
    add(s, p, 1);
    add(s, local.n, 10);
  }
  if (over > 0) return XdpAction.Drop;
  return local.sum > 200 ? XdpAction.Tx : XdpAction.Pass;
}
`;

/** What CALLS gives for UDP frames (4 payload bytes) to these destination ports: the verdicts, then
 * STATS[0]'s n and sum. port(ctx, 14) reads the IPv4 total length (32) as a "UDP dstPort": q = 46. */
function expected(dsts: number[]): { verdicts: number[]; n: number; sum: bigint } {
  let n = 0,
    sum = 0n;
  const verdicts = dsts.map((d) => {
    const p = d > 1000 ? d - 1000 : d + 34;
    const first = 2 * p,
      second = first + 3 * 46;
    n += 2;
    sum += BigInt(p + 20);
    if (first > 5000 || second > 5000) return 1; // Drop
    return second > 200 ? 3 : 2; // Tx : Pass
  });
  return { verdicts, n, sum };
}

describe("struct parameters", () => {
  it("make op= on a field atomic in the subprogram when some call passes a shared map's value", () => {
    const r = compileToInput(CALLS, "calls.ts", { sectionStyle: "tsebpf" });
    const add = r.input!.subprograms!.find((f) => f.name === "add")!;
    const atomics = add.insns.filter((i) => i.code === 0xc3 || i.code === 0xdb); // BPF_STX | BPF_ATOMIC, W and DW
    expect(atomics.map((i) => i.off)).toEqual([0, 8]); // a.n += 1, a.sum += v * w
  });
});

describe.skipIf(!haveKernel)("subprograms in the kernel and the VM", () => {
  it("give the verdicts and the map value computed here", () => {
    const bytes = compileDsl(CALLS, "calls.ts");
    expect(
      readBpfObject(bytes)
        .functions!.map((f) => f.name)
        .sort(),
    ).toEqual(["add", "port"]);
    const dsts = [53, 1010, 3700, 20, 1031, 1032];
    const want = expected(dsts);
    expect(new Set(want.verdicts)).toEqual(new Set([1, 2, 3]));
    const pkts = dsts.map((dstPort) => frame({ proto: 17, dstPort }));
    const zero = new Uint8Array(4);
    const stats = (v: Uint8Array) => ({ n: Buffer.from(v).readUInt32LE(0), sum: Buffer.from(v).readBigUInt64LE(8) });
    const vm = XdpVm.fromElf(bytes);
    expect(pkts.map((p) => vm.run(p).verdict)).toEqual(want.verdicts);
    expect(stats(vm.map("STATS").lookup(zero, 0)!)).toEqual({ n: want.n, sum: want.sum });
    withObject(bytes, (o) => {
      expect(pkts.map((p) => run(o, p))).toEqual(want.verdicts);
      expect(stats(o.map("STATS")!.get(zero)!)).toEqual({ n: want.n, sum: want.sum });
    });
  });
});

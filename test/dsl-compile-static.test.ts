// DSL back end without the kernel: instruction counts against the clang-built C twins, the cost of
// a log call, byte-swap folding, bounds-check merging, spans on every instruction, and the
// diagnostics for what the back end refuses (stack limit, non-constant loops, unguarded reads).
import { describe, expect, it } from "vitest";
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { compileToInput, compileToObject } from "../compiler/dsl/index.js";
import { readBpfObject } from "../compiler/elf/read-object.js";
import { relocateCalls } from "../compiler/link/relocate.js";
import { formatCompact, hasErrors } from "../compiler/diagnostics.js";
import { CLASS, JMP, ALU, SRC, insnWidth, type Insn } from "../compiler/isa/insn.js";
import { haveTools } from "./helpers/env.js";

// programs no larger than their C twins; flowstats and tcpopts are still larger (issue 9: zero stores per
// padding field, an unrolled option loop)
const PROGRAMS = ["hello", "parse", "firewall", "counters", "cidr", "icmpevents", "cidr6", "portstats"];
const ALL = readdirSync("programs")
  .filter((f) => f.endsWith(".ts"))
  .map((f) => f.slice(0, -3));
const HEAD = `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, ETH_P_IP, HashMap, info, hex, u8, u16, u32, u64 } from "tsebpf";\n`;

function insnsOf(src: string, file = "t.ts"): Insn[] {
  const r = compileToInput(src, file, { sectionStyle: "tsebpf" });
  if (!r.input) throw new Error(r.diagnostics.map(formatCompact).join("\n"));
  return r.input.programs[0]!.func.insns;
}
const slots = (insns: Insn[]): number => insns.reduce((n, i) => n + insnWidth(i), 0);
const errorsOf = (src: string): string[] =>
  compileToObject(HEAD + src, "t.ts", { sectionStyle: "tsebpf" })
    .diagnostics.filter((d) => d.severity === "error")
    .map(formatCompact);

describe("DSL back end: code size", () => {
  it.each(PROGRAMS)("%s is no larger than its clang-19 -O2 -mcpu=v3 twin", (name) => {
    const file = `programs/${name}.ts`;
    const linked = (bytes: Uint8Array): number => {
      const m = readBpfObject(bytes);
      return slots(relocateCalls(m.programs[0]!, m.functions ?? []).insns); // with the subprograms it calls
    };
    const ours = linked(compileToObject(readFileSync(file, "utf8"), file, { sectionStyle: "tsebpf" }).object!);
    const twin = linked(readFileSync(`fixtures/c-twins/${name}.o`));
    expect(ours).toBeLessThanOrEqual(twin);
  });

  it("a log call with two arguments costs at most 30 instructions", () => {
    const body = (log: string): string => `${HEAD}export function xdp_l(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.Pass;
  const a = eth.etherType;
  const b = eth.srcMac;
  ${log}
  return a === 7 ? XdpAction.Drop : XdpAction.Pass;
}`;
    const without = slots(insnsOf(body("const c = b;")));
    const withLog = slots(insnsOf(body("info(`type ${hex(a)} from ${b}`);")));
    expect(withLog - without).toBeGreaterThan(0);
    expect(withLog - without).toBeLessThanOrEqual(30);
  });
});

describe("DSL back end: objects", () => {
  it("writes section xdp/<name> (or xdp with --section-style libbpf), the program's symbol and license GPL", () => {
    const text = readFileSync("programs/hello.ts", "utf8");
    for (const [style, section] of [
      ["tsebpf", "xdp/xdp_hello"],
      ["libbpf", "xdp"],
    ] as const) {
      const r = compileToObject(text, "programs/hello.ts", { sectionStyle: style });
      const m = readBpfObject(r.object!);
      expect(m.license).toBe("GPL");
      expect(m.programs.map((p) => [p.name, p.section])).toEqual([["xdp_hello", section]]);
      expect(m.maps.map((x) => [x.name, x.type, x.maxEntries])).toEqual([
        ["TSEBPF_LOGS", 27, 262144],
        ["TSEBPF_DROPS", 6, 1],
      ]);
      expect(m.logFormats).toEqual([{ program: "xdp_hello", level: 3, pieces: ["received a packet"], args: [] }]);
    }
  });
});

describe("DSL back end: optimisations", () => {
  const fw = insnsOf(readFileSync("programs/firewall.ts", "utf8"), "programs/firewall.ts");

  it("folds the etherType byte swap into the constant (no be16, compares with 0x0008)", () => {
    expect(fw.some((i) => i.code === (CLASS.ALU | ALU.END | 0x08) && i.imm === 16)).toBe(false);
    expect(fw.some((i) => i.code === (CLASS.JMP | JMP.JNE | SRC.K) && i.imm === 0x0008)).toBe(true);
  });

  it("merges the Ethernet and IPv4 bounds checks into one check of 34 bytes", () => {
    const checks = fw.filter((i) => i.code === (CLASS.JMP | JMP.JGT | SRC.X));
    expect(checks).toHaveLength(1);
    expect(fw.some((i) => i.code === (CLASS.ALU64 | ALU.ADD | SRC.K) && i.imm === 34)).toBe(true);
  });

  it("does not merge checks when a side effect separates them", () => {
    const src = `${HEAD}export function xdp_m(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.Pass;
  info("ethernet");
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null) return XdpAction.Pass;
  return ip.ttl === 1 ? XdpAction.Drop : XdpAction.Pass;
}`;
    expect(insnsOf(src).filter((i) => i.code === (CLASS.JMP | JMP.JGT | SRC.X))).toHaveLength(2);
  });

  it("folds constants and drops dead code", () => {
    const src = `${HEAD}export function xdp_c(ctx: XdpContext): XdpAction {
  const a: u32 = 6 * 7;
  let b: u32 = a + 1;
  b = b << 1;
  const unused: u32 = b * 3;
  return b === 86 ? XdpAction.Drop : XdpAction.Pass;
}`;
    const insns = insnsOf(src);
    expect(insns.map((i) => [i.code, i.imm])).toEqual([
      [CLASS.ALU64 | ALU.MOV | SRC.K, 1],
      [CLASS.JMP | JMP.EXIT, 0],
    ]);
  });

  it("gives every instruction the span of its statement", () => {
    const lines = readFileSync("programs/firewall.ts", "utf8").split("\n");
    for (const i of fw) {
      expect(i.span?.file).toBe("programs/firewall.ts");
      expect(lines[i.span!.line - 1]!.trim().length).toBeGreaterThan(0);
    }
  });
});

describe("DSL back end: diagnostics", () => {
  it("reports the 512-byte stack limit at compile time", () => {
    const args = Array.from({ length: 64 }, (_, i) => `\${eth.etherType + ${i}}`).join(" ");
    const errs = errorsOf(`export function xdp_s(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.Pass;
  info(\`${args}\`);
  return XdpAction.Pass;
}`);
    expect(errs.join("\n")).toMatch(/^t\.ts:5:3: error TSB9502: .*stack/);
  });

  it("rejects a loop whose bound is not a compile-time constant", () => {
    const errs = errorsOf(`export function xdp_f(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.Pass;
  let s: u32 = 0;
  for (let i = 0; i < eth.etherType; i++) s += 1;
  return s === 3 ? XdpAction.Drop : XdpAction.Pass;
}`);
    expect(errs.length).toBeGreaterThan(0);
    expect(errs[0]).toMatch(/^t\.ts:\d+:\d+: error /);
  });

  it("never emits a header read that no null check guards", () => {
    const errs = errorsOf(`export function xdp_u(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  return eth!.etherType === 8 ? XdpAction.Drop : XdpAction.Pass;
}`);
    expect(errs.length).toBeGreaterThan(0);
  });
});

describe.skipIf(!haveTools("llvm-objdump-19", "llvm-readelf-19"))("DSL objects and LLVM", () => {
  it.each(ALL)("llvm-objdump-19 disassembles %s and llvm-readelf-19 reads it without warnings", (name) => {
    const r = compileToObject(readFileSync(`programs/${name}.ts`, "utf8"), `programs/${name}.ts`, {
      sectionStyle: "tsebpf",
    });
    expect(hasErrors(r.diagnostics)).toBe(false);
    const path = `/tmp/tsebpf-dsl-${process.pid}-${name}.o`;
    writeFileSync(path, r.object!);
    try {
      const dis = execFileSync("llvm-objdump-19", ["-d", path], { encoding: "utf8" });
      expect(dis).toContain(`<xdp_${name}>:`);
      expect(dis).not.toContain("<unknown>");
      const re = execFileSync("llvm-readelf-19", ["-a", path], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      expect(re).toContain(`xdp/xdp_${name}`);
    } finally {
      rmSync(path, { force: true });
    }
  });
});

// Oracle: our objdump must print exactly what llvm-objdump-19 -d (decimal by default, --print-imm-hex)
// prints, and with `llvm: 14` what llvm-objdump-14 -d prints (store-immediate and v4 instructions as
// `<unknown>`), for the committed clang objects (fixtures/c and the C twins, subprograms and global
// functions in .text included), for our own objects, and for a C file compiled at test time.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatObjdump, type ObjdumpOptions } from "../compiler/objdump/format.js";
import { writeBpfObject } from "../compiler/elf/write-object.js";
import { haveTools } from "./helpers/env.js";
import { firewallInput, helloInput } from "./elf-samples.js";
import { suiteDir } from "./helpers/tmp.js";
import { buildProgram } from "./helpers/dsl.js";

const FIX = "fixtures/c";
const fixtures = readdirSync(FIX)
  .filter((f) => f.endsWith(".o"))
  .sort();
/** The C twins (clang-19 -O2 -mcpu=v3 -g): static subprograms and a global function in .text beside
 *  the XDP program (portstats, vlanfw), packet pointers passed to them. */
const TWINS = "fixtures/c-twins";
const twins = readdirSync(TWINS)
  .filter((f) => f.endsWith(".o"))
  .sort();
const tmp = suiteDir("tsebpf-objdump-");

const MODES: [string, string[], ObjdumpOptions][] = [
  ["llvm-objdump-14", ["-d"], { llvm: 14 }],
  ["llvm-objdump-14", ["-dr"], { llvm: 14, relocs: true }],
  ["llvm-objdump-14", ["-d", "--no-show-raw-insn"], { llvm: 14, rawInsn: false }],
  ["llvm-objdump-19", ["-d", "--no-print-imm-hex"], {}],
  ["llvm-objdump-19", ["-dr", "--no-print-imm-hex", "--no-show-raw-insn"], { relocs: true, rawInsn: false }],
  ["llvm-objdump-19", ["-d", "--print-imm-hex"], { hex: true }],
  ["llvm-objdump-19", ["-dr", "--print-imm-hex"], { hex: true, relocs: true }],
];

function compare(path: string): void {
  const bytes = readFileSync(path);
  for (const [tool, args, opts] of MODES) {
    const want = execFileSync(tool, [...args, path], { encoding: "utf8" });
    expect(formatObjdump(bytes, path, opts), `${tool} ${args.join(" ")} ${path}`).toBe(want);
  }
}

describe.skipIf(!haveTools("llvm-objdump-14", "llvm-objdump-19"))("objdump matches llvm-objdump", () => {
  it.each(fixtures)("clang object %s", (f) => compare(join(FIX, f)));
  it.each(twins)("C twin %s", (f) => compare(join(TWINS, f)));

  // llvm-objdump -S reads DWARF, we read BTF line info: the listings must agree once comments are
  // dropped, and most of our source lines must be lines llvm-objdump shows too.
  const withDebug = [
    ...fixtures.filter((f) => f.includes("-g")).map((f) => join(FIX, f)),
    ...twins.map((f) => join(TWINS, f)),
  ];
  it.each(withDebug)("-S on %s", (path) => {
    const want = execFileSync("llvm-objdump-19", ["-S", "--print-imm-hex", path], { encoding: "utf8", cwd: "." });
    const got = formatObjdump(readFileSync(path), path, { source: true, hex: true });
    const strip = (s: string) =>
      s
        .split("\n")
        .filter((l) => !l.startsWith(";"))
        .join("\n");
    expect(strip(got)).toBe(strip(want));
    const ours = got.split("\n").filter((l) => l.startsWith(";"));
    const theirs = new Set(want.split("\n").filter((l) => l.startsWith(";")));
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.filter((l) => theirs.has(l)).length / ours.length).toBeGreaterThanOrEqual(0.6);
  });

  it("our own objects", () => {
    const objs: [string, Uint8Array][] = [
      ["hello.o", writeBpfObject(helloInput())],
      ["fw.o", writeBpfObject(firewallInput())],
      ["fw-libbpf.o", writeBpfObject(firewallInput("xdp"))],
      ["portstats.o", buildProgram("portstats")], // a subprogram in .text, called from four places
      ["vlanfw.o", buildProgram("vlanfw")], // a global function and a static subprogram taking a header view
    ];
    for (const [name, bytes] of objs) {
      writeFileSync(tmp(name), bytes);
      compare(tmp(name));
      const path = tmp(name);
      const want = execFileSync("llvm-objdump-19", ["-S", "--print-imm-hex", path], { encoding: "utf8" });
      // LLVM >= 18 prints BTF line info when there is no DWARF: exactly what we print.
      expect(formatObjdump(bytes, path, { source: true, hex: true })).toBe(want);
    }
  });

  it.skipIf(!haveTools("clang-19", "clang-14"))("a C program compiled at test time", () => {
    const c = tmp("loops.c");
    writeFileSync(c, LOOPS_C);
    for (const [cc, mcpu] of [
      ["clang-14", "v2"],
      ["clang-19", "v3"],
      ["clang-19", "v4"],
    ]) {
      const o = tmp(`loops-${cc}-${mcpu}.o`);
      execFileSync(cc, ["-O2", "-target", "bpf", `-mcpu=${mcpu}`, "-c", c, "-o", o]);
      compare(o);
    }
  });
});

// Not in the repository: loops, switch, 32-bit ALU, signed compares, 64-bit constants.
const LOOPS_C = `
typedef unsigned int u32; typedef unsigned long long u64; typedef long long s64;
struct xdp_md { u32 data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex; };
static long (*trace)(const char *fmt, u32 size, ...) = (void *)6;
__attribute__((noinline)) static s64 mix(s64 a, u64 b) { return (a * 0x123456789abcLL) ^ (b >> 3) ^ ((u64)a / 7) ^ (b % 13); }
__attribute__((section("xdp/loops"), used)) int loops(struct xdp_md *ctx) {
  unsigned char *p = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  u32 sum = 0; s64 acc = -5;
  for (int i = 0; i < 16; i++) { if (p + i + 1 > end) break; sum += p[i]; acc += (signed char)p[i]; }
  switch (sum & 7) { case 0: acc = mix(acc, sum); break; case 1: acc -= 3; break; case 3: acc <<= 2; break; default: acc = -acc; }
  if (acc < -100) { char m[] = "neg"; trace(m, sizeof(m)); }
  return acc > 0 ? 2 : (sum > 1000 ? 1 : 2);
}
char _license[] __attribute__((section("license"), used)) = "GPL";
`;

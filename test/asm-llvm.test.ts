// The LLVM-syntax assembler without oracles: diagnostics (all of them, with positions, and no
// object on error), forms beyond llvm-mc-19 (32-bit gotol), comments and separators, the CLI
// `build` of programs/hello.s and its output file errors, speed on a 200,000-instruction file,
// and clang output beyond the fixtures (DWARF label differences, section-name symbols, data ranges).
import { describe, expect, it } from "vitest";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assembleLlvm } from "../compiler/asm/assemble.js";
import { assembleToObject } from "../compiler/asm/index.js";
import { formatCompact } from "../compiler/diagnostics.js";
import { decodeInsns } from "../compiler/isa/decode.js";
import { printInsn } from "../compiler/isa/print.js";
import { readElf, symbolName } from "../compiler/elf/read-elf.js";
import { suiteDir, withTempDir } from "./helpers/tmp.js";
import { cli } from "./helpers/cli.js";

const text = (src: string) => {
  const r = assembleLlvm(src, "t.s");
  expect(r.diagnostics.map(formatCompact)).toEqual([]);
  return decodeInsns(r.elf!.sections.find((s) => s.name === ".text")!.data);
};

describe("LLVM syntax assembler", () => {
  it("reports every error with file:line:col, and builds no object", () => {
    const src = [
      "\tr0 = 1",
      "\tr0 = frob r1",
      "\tr1 += 0x100000000",
      "\tr1 = *(u32 *)(r2 + 40000)",
      "\tif r1 > 2 goto nowhere",
      "\t.bogus 1",
      "dup:",
      "dup:",
      "\tr1 = -r2",
      "\tr1 = 1 @",
      "\texit",
    ].join("\n");
    const r = assembleToObject(src, "bad.s", { sectionStyle: "tsebpf" });
    expect(r.object).toBeUndefined();
    expect(r.diagnostics.map(formatCompact)).toEqual([
      "bad.s:2:2: error ASM001: unknown instruction or invalid operands: 'r0 = frob r1'",
      "bad.s:3:8: error ASM002: operand is not a 32-bit immediate",
      "bad.s:4:19: error ASM002: operand is not a 16-bit signed integer",
      "bad.s:5:2: error ASM003: undefined label 'nowhere'",
      "bad.s:6:2: error ASM004: unknown directive '.bogus'",
      "bad.s:8:1: error ASM005: symbol 'dup' is already defined",
      "bad.s:9:8: error ASM002: invalid operand for instruction: both registers must be the same",
      "bad.s:10:2: error ASM001: unknown instruction or invalid operands: 'r1 = 1 @'",
    ]);
    for (const d of r.diagnostics) expect(d.span?.length).toBeGreaterThan(0);
  });

  it("reports lexer errors (bad characters, numbers, unterminated strings and comments)", () => {
    const r = assembleLlvm('\tr0 = 0x\n\t.asciz "abc\n\tr0 = 1 ` \n/* open', "lex.s");
    expect(r.diagnostics.map((d) => `${d.span?.line}:${d.span?.col} ${d.code}`)).toEqual([
      "1:7 ASM007",
      "2:9 ASM007",
      "3:9 ASM007",
      "4:1 ASM007",
    ]);
  });

  it("accepts comments of every kind and ; as a separator", () => {
    const insns = text("# hash\n\tr0 = 1 // slashes\n/* block\n comment */ r1 = 2 ; r2 = 3 # tail\n\texit /* x */\n");
    expect(insns.map((i) => printInsn(i))).toEqual(["r0 = 1", "r1 = 2", "r2 = 3", "exit"]);
  });

  it("accepts number forms and wraps unsigned 32/64-bit immediates like llvm-mc", () => {
    const insns = text(
      "\tr1 = 0xffffffff\n\tw1 = 4294967295\n\tr2 = 010\n\tr3 = 0b101\n\tr4 = 18446744073709551615 ll\n\tr5 = -9223372036854775808 ll\n",
    );
    expect(insns.map((i) => printInsn(i))).toEqual([
      "r1 = -1",
      "w1 = -1",
      "r2 = 8",
      "r3 = 5",
      "r4 = -1 ll",
      "r5 = -9223372036854775808 ll",
    ]);
  });

  it("accepts 32-bit gotol offsets and far labels (llvm-mc-19 only parses 16-bit ones)", () => {
    const insns = text("\tgotol +100000\n\tgotol -2147483648\n");
    expect(insns.map((i) => i.imm)).toEqual([100000, -2147483648]);
    const far = text(`\tgotol far\n${"\tr0 = 0\n".repeat(40000)}far:\n\texit\n`);
    expect(far[0].imm).toBe(40000);
    const r = assembleLlvm(`\tgoto far\n${"\tr0 = 0\n".repeat(40000)}far:\n\texit\n`, "far.s");
    expect(r.diagnostics.map((d) => d.code)).toEqual(["ASM006"]);
  });

  it("tsebpf build programs/hello.s writes an object with the program and license", async () => {
    await withTempDir("tsebpf-hello-", async (dir) => {
      const r = await cli("build", "programs/hello.s", "-o", join(dir, "hello.o"));
      expect(r.out + r.err).toBe("");
      expect(r.code).toBe(0);
      const elf = readElf(new Uint8Array(readFileSync(join(dir, "hello.o"))));
      const prog = elf.sections.find((s) => s.name === "xdp/xdp_hello")!;
      expect(decodeInsns(prog.data).map((i) => printInsn(i))).toEqual(["r0 = 2", "exit"]);
      expect(Buffer.from(elf.sections.find((s) => s.name === "license")!.data).toString("latin1")).toBe("GPL\0");
      const sym = elf.symbols.find((s) => s.name === "xdp_hello")!;
      expect([sym.type, sym.bind, sym.size]).toEqual([2, 1, 16]);
    });
  });

  it("assembles 200,000 instructions (labels, gotol, ld_imm64) into the right bytes", { timeout: 60000 }, () => {
    const body = [
      "\tr1 = *(u32 *)(r1 + 4)",
      "\tw2 += 7",
      "\tif r1 > r2 goto +1",
      "\tr0 = 0x1122334455 ll",
      "\tlock *(u64 *)(r10 - 8) += r1",
      "\tcall 1",
      "\tr3 = be16 r3",
      "\t*(u64 *)(r10 - 16) = r1",
    ];
    const lines: string[] = ["\t.text", "f:"];
    for (let i = 0; i < 200000; i++) lines.push(i % 1000 === 0 ? `L${i}:\n${body[i % 8]}` : body[i % 8]);
    lines.push("\tgotol L0", "\texit");
    const src = lines.join("\n");
    // No wall-clock bound (bench/asm-objdump.js measures speed); a super-linear blowup fails on the
    // test's timeout.
    const r = assembleLlvm(src, "big.s");
    expect(r.diagnostics).toEqual([]);
    expect(r.elf!.sections[0].data.length).toBe((200000 + 2 + 25000) * 8);
  });
});

describe("clang output beyond the fixtures", () => {
  it("assembles clang -g DWARF `.uleb128 label - label` of labels placed earlier (as llvm-mc does)", () => {
    const src = [
      "\t.text",
      ".Lfunc_begin0:",
      "\tr0 = 2",
      ".Ltmp1:",
      "\tr0 += 1",
      "\texit",
      ".Lfunc_end0:",
      '\t.section\t.debug_loclists,"",@progbits',
      "\t.uleb128 .Ltmp1-.Lfunc_begin0",
      "\t.uleb128 .Lfunc_end0-.Lfunc_begin0",
      "\t.sleb128 .Lfunc_begin0-.Lfunc_end0",
      "",
    ].join("\n");
    const r = assembleToObject(src, "x.s", { sectionStyle: "tsebpf" });
    expect(r.diagnostics).toEqual([]);
    const sec = readElf(r.object!).sections.find((s) => s.name === ".debug_loclists")!;
    // 8, 24, -24 (sleb 0x68) — the bytes llvm-mc-19 writes
    expect(Buffer.from(sec.data).toString("hex")).toBe("081868");
  });

  it("still rejects a .uleb128 of a label placed later, at its line", () => {
    const r = assembleToObject('\t.section .foo,"",@progbits\n\t.uleb128 .Lb-.La\n.La:\n.Lb:\n', "y.s", {
      sectionStyle: "tsebpf",
    });
    expect(r.diagnostics.map((d) => `${d.code}:${d.span?.line}`)).toEqual(["ASM004:2"]);
  });

  it("`.long .debug_abbrev` (a section's name, clang -g) relocates against the section symbol, not an undefined global", () => {
    const src = [
      '\t.section\t.debug_abbrev,"",@progbits',
      "\t.byte\t1",
      '\t.section\t.debug_info,"",@progbits',
      "\t.long\t.debug_abbrev",
      "",
    ].join("\n");
    const r = assembleToObject(src, "d.s", { sectionStyle: "tsebpf" });
    expect(r.diagnostics).toEqual([]);
    const elf = readElf(r.object!);
    const syms = elf.symbols
      .slice(1)
      .map((s) => `${symbolName(elf, s)} ${s.type} ${s.bind} ${s.shndx ? elf.sections[s.shndx]!.name : "UND"}`);
    // llvm-mc-19: one local section symbol for .debug_abbrev, nothing undefined (libbpf refused the UND one as an extern)
    expect(syms.filter((x) => x.endsWith(" UND"))).toEqual([]);
    const relocs = [...elf.relocs.values()].flat();
    expect(relocs.length).toBe(1);
    const target = elf.symbols[relocs[0]!.symIndex]!;
    expect(elf.sections[target.shndx]!.name).toBe(".debug_abbrev");
    expect(relocs[0]!.type).toBe(3); // R_BPF_64_ABS32
  });

  it("rejects data literals out of range as llvm-mc-19 does (.byte 256, .short -32769, .long 2^32), at their line", () => {
    const ok = [
      ".byte 255",
      ".byte -128",
      ".short 65535",
      ".long 4294967295",
      ".long -2147483648",
      ".quad 18446744073709551615",
      ".quad -1",
      ".byte 300-100",
    ];
    const bad = [
      ".byte -129",
      ".byte 256",
      ".short -32769",
      ".short 65536",
      ".long -2147483649",
      ".long 4294967296",
      ".byte 1+255",
    ];
    const run = (lines: string[]) =>
      assembleToObject(`\t.section .d,"a",@progbits\n${lines.map((l) => `\t${l}\n`).join("")}`, "v.s", {
        sectionStyle: "tsebpf",
      }).diagnostics;
    expect(run(ok)).toEqual([]);
    expect(run(bad).map((d) => `${d.code}:${d.span?.line}`)).toEqual(bad.map((_, i) => `ASM004:${i + 2}`));
  });
});

describe("tsebpf build: output file errors", () => {
  const at = suiteDir("tsebpf-build-out-", (f) =>
    writeFileSync(f("p.s"), '\t.section "xdp/xdp_t","ax"\n\t.globl xdp_t\nxdp_t:\n\tr0 = 2\n\texit\n'),
  );

  it("build -o naming a directory is one clear line, exit 1", async () => {
    mkdirSync(at("d.o"));
    const r = await cli("build", at("p.s"), "-o", at("d.o"));
    expect(r.code).toBe(1);
    expect(r.err).toBe(`tsebpf: error: ${at("d.o")}: is a directory\n`);
  });

  it("build -o under a regular file (ENOTDIR) is one clear line, exit 1", async () => {
    const r = await cli("build", at("p.s"), "-o", at("p.s/x.o"));
    expect(r.code).toBe(1);
    expect(r.err).toBe(`tsebpf: error: ${at("p.s/x.o")}: not a directory\n`);
    expect(existsSync(at("out.o"))).toBe(false);
  });
});

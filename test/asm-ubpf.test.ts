// The ubpf dialect: every bpf_conformance program assembles without diagnostics, matches the
// `-- raw` encodings where a file has them, and single instructions encode as the ubpf assembler
// encodes them.
import { describe, expect, it } from "vitest";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { conformanceAsm, parseUbpf } from "../compiler/asm/ubpf.js";
import { encodeInsns } from "../compiler/isa/encode.js";
import { assembleToObject } from "../compiler/asm/index.js";
import { readElf } from "../compiler/elf/read-elf.js";

const DIR = "/work/shared/conformance/tests";
const hexOf = (text: string) => Buffer.from(encodeInsns(parseUbpf(text, "t").insns)).toString("hex");

describe.skipIf(!existsSync(DIR))("bpf_conformance programs", () => {
  const files = existsSync(DIR)
    ? readdirSync(DIR)
        .filter((f) => f.endsWith(".data"))
        .sort()
    : [];

  it("has all 313 files and assembles every one without diagnostics", () => {
    expect(files.length).toBe(313);
    const bad: string[] = [];
    let insns = 0;
    for (const f of files) {
      const r = parseUbpf(conformanceAsm(readFileSync(join(DIR, f), "utf8")), f);
      insns += r.insns.length;
      if (r.diagnostics.length)
        bad.push(`${f}: ${r.diagnostics.map((d) => `${d.span?.line}:${d.span?.col} ${d.message}`).join("; ")}`);
      if (!r.insns.length) bad.push(`${f}: empty`);
    }
    expect(bad).toEqual([]);
    expect(insns).toBe(2599); // every non-label, non-comment line of the 313 `-- asm` sections
  });

  it("matches the -- raw encodings", () => {
    let checked = 0;
    for (const f of files) {
      const text = readFileSync(join(DIR, f), "utf8");
      const raw = /^-- raw\n([\s\S]*?)(?=^-- |(?![\s\S]))/m.exec(text);
      if (!raw) continue;
      const words = raw[1]
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => /^0x/.test(l));
      const want = Buffer.concat(
        words.map((w) => {
          const b = Buffer.alloc(8);
          b.writeBigUInt64LE(BigInt(w));
          return b;
        }),
      );
      expect(hexOf(conformanceAsm(text)), f).toBe(want.toString("hex"));
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });
});

describe("ubpf dialect encodings", () => {
  const cases: [string, string][] = [
    ["mov32 %r0, 1", "b400000001000000"],
    ["mov %r0, 1", "b700000001000000"],
    ["mov %r0, %r10", "bfa0000000000000"],
    ["add64 %r1, -1", "07010000ffffffff"],
    ["ldxw %r0, [%r1+2]", "6110020000000000"],
    ["ldxdw %r0, [%r1]", "7910000000000000"],
    ["stxdw [%r10-8], %r1", "7b1af8ff00000000"],
    ["stw [%r10-4], 0x80000001", "620afcff01000080"],
    ["jeq %r1, 5, +3", "1501030005000000"],
    ["jne32 %r1, %r2, -1", "5e21ffff00000000"],
    ["lddw %r0, 0x123", "1800000023010000" + "0000000000000000"],
    ["call 1", "8500000001000000"],
    ["call %r2", "8d02000000000000"],
    ["exit", "9500000000000000"],
    ["be16 %r0", "dc00000010000000"],
    ["le64 %r3", "d403000040000000"],
    ["bswap32 %r0", "d700000020000000"],
    ["swap16 %r0", "d700000010000000"],
    ["neg %r1", "8701000000000000"],
    ["neg32 %r1", "8401000000000000"],
    ["sdiv %r1, %r2", "3f21010000000000"],
    ["smod32 %r1, 3", "9401010003000000"],
    ["movsx832 %r2, %r1", "bc12080000000000"],
    ["movsx3264 %r0, %r9", "bf90200000000000"],
    ["ldxsb %r0, [%r1+1]", "9110010000000000"],
    ["lock add [%r10-8], %r1", "db1af8ff00000000"],
    ["lock fetch add32 [%r10-4], %r1", "c31afcff01000000"],
    ["lock xchg [%r10-8], %r1", "db1af8ffe1000000"],
    ["lock cmpxchg32 [%r10-8], %r1", "c31af8fff1000000"],
    ["ja +2", "0500020000000000"],
    ["ja32 +2", "0600000002000000"],
  ];
  for (const [src, hex] of cases) it(src, () => expect(hexOf(src)).toBe(hex));

  it("resolves labels forward and back, and `exit` without a label", () => {
    const r = parseUbpf("top:\nja fwd\nlddw %r0, 1\nfwd: jne %r0, 0, top\njeq %r0, 1, exit\nmov %r0, 2\nexit\n", "t");
    expect(r.diagnostics).toEqual([]);
    expect(r.insns.map((i) => i.off)).toEqual([2, 0, -4, 1, 0, 0]);
  });

  it("reports every bad line with its position", () => {
    const r = parseUbpf("mov %r0, 1\nfrob %r1\nldxw %r0, [%r11+2]\njeq %r1, 5, nowhere\nmov32 %r0\n", "bad.s");
    expect(r.diagnostics.map((d) => `${d.span?.line}:${d.span?.col} ${d.code} ${d.message}`)).toEqual([
      "2:1 ASM101 unknown instruction 'frob'",
      "3:11 ASM102 invalid memory operand '[%r11+2]'",
      "4:1 ASM103 undefined label 'nowhere'",
      "5:1 ASM101 'mov32' takes 2 operands, found 1",
    ]);
  });

  it("builds an XDP object with --syntax ubpf", () => {
    const r = assembleToObject("mov %r0, 2\nexit\n", "pass.s", { sectionStyle: "tsebpf", syntax: "ubpf" });
    expect(r.diagnostics).toEqual([]);
    const elf = readElf(r.object!);
    expect(elf.sections.map((s) => s.name)).toEqual(expect.arrayContaining(["xdp/pass", "license"]));
    expect(elf.symbols.some((s) => s.name === "pass" && s.type === 2)).toBe(true);
  });
});

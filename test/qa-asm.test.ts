// QA regressions for the assembler on clang output that is not in the fixtures.
import { describe, expect, it } from "vitest";
import { assembleToObject } from "../compiler/asm/index.js";
import { readElf, symbolName } from "../compiler/elf/read-elf.js";

describe("qa: assembler", () => {
  it("assembles clang -g DWARF `.uleb128 label - label` of labels placed earlier (as llvm-mc does)", () => {
    const src = [
      "\t.text",
      ".Lfunc_begin0:",
      "\tr0 = 2",
      ".Ltmp1:",
      "\tr0 += 1",
      "\texit",
      ".Lfunc_end0:",
      "\t.section\t.debug_loclists,\"\",@progbits",
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
    const r = assembleToObject("\t.section .foo,\"\",@progbits\n\t.uleb128 .Lb-.La\n.La:\n.Lb:\n", "y.s", { sectionStyle: "tsebpf" });
    expect(r.diagnostics.map((d) => `${d.code}:${d.span?.line}`)).toEqual(["ASM004:2"]);
  });

  it("`.long .debug_abbrev` (a section's name, clang -g) relocates against the section symbol, not an undefined global", () => {
    const src = [
      "\t.section\t.debug_abbrev,\"\",@progbits",
      "\t.byte\t1",
      "\t.section\t.debug_info,\"\",@progbits",
      "\t.long\t.debug_abbrev",
      "",
    ].join("\n");
    const r = assembleToObject(src, "d.s", { sectionStyle: "tsebpf" });
    expect(r.diagnostics).toEqual([]);
    const elf = readElf(r.object!);
    const syms = elf.symbols.slice(1).map((s) => `${symbolName(elf, s)} ${s.type} ${s.bind} ${s.shndx ? elf.sections[s.shndx]!.name : "UND"}`);
    // llvm-mc-19: one local section symbol for .debug_abbrev, nothing undefined (libbpf refused the UND one as an extern)
    expect(syms.filter((x) => x.endsWith(" UND"))).toEqual([]);
    const relocs = [...elf.relocs.values()].flat();
    expect(relocs.length).toBe(1);
    const target = elf.symbols[relocs[0]!.symIndex]!;
    expect(elf.sections[target.shndx]!.name).toBe(".debug_abbrev");
    expect(relocs[0]!.type).toBe(3); // R_BPF_64_ABS32
  });

  it("rejects data literals out of range as llvm-mc-19 does (.byte 256, .short -32769, .long 2^32), at their line", () => {
    const ok = [".byte 255", ".byte -128", ".short 65535", ".long 4294967295", ".long -2147483648", ".quad 18446744073709551615", ".quad -1", ".byte 300-100"];
    const bad = [".byte -129", ".byte 256", ".short -32769", ".short 65536", ".long -2147483649", ".long 4294967296", ".byte 1+255"];
    const run = (lines: string[]) => assembleToObject(`\t.section .d,"a",@progbits\n${lines.map((l) => `\t${l}\n`).join("")}`, "v.s", { sectionStyle: "tsebpf" }).diagnostics;
    expect(run(ok)).toEqual([]);
    expect(run(bad).map((d) => `${d.code}:${d.span?.line}`)).toEqual(bad.map((_, i) => `ASM004:${i + 2}`));
  });
});

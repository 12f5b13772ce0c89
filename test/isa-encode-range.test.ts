// Every encoder range-checks every field: the ISA encoder (encodeInsns/writeInsn), the object
// writer the DSL uses (writeBpfObject), and the assembler's diagnostics for out-of-range offsets,
// immediates and branch targets (file:line:col, llvm-mc-19's words where it has them).
import { describe, expect, it } from "vitest";
import { encodeInsns, EncodeError, fieldError } from "../compiler/isa/encode.js";
import { decodeInsns } from "../compiler/isa/decode.js";
import type { Insn } from "../compiler/isa/insn.js";
import { writeBpfObject } from "../compiler/elf/write-object.js";
import { assembleToObject } from "../compiler/asm/index.js";
import { formatCompact } from "../compiler/diagnostics.js";

const ins = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });
const enc = (i: Insn) => () => encodeInsns([i]);

describe("encoder field ranges", () => {
  it.each([
    ["code", ins(0x100), /code 256 does not fit the 8-bit opcode \(0\.\.255\)/],
    ["code", ins(-1), /code -1 /],
    ["dst", ins(0xb7, 16), /dst 16 does not fit the 4-bit dst register/],
    ["dst", ins(0xb7, -1), /dst -1 /],
    ["src", ins(0xbf, 1, 16), /src 16 does not fit the 4-bit src register/],
    ["off", ins(0x05, 0, 0, 32768), /off 32768 does not fit the 16-bit signed offset \(-32768\.\.32767\)/],
    ["off", ins(0x05, 0, 0, -32769), /off -32769 /],
    ["off", ins(0x61, 1, 2, 1.5), /off 1\.5 is not an integer/],
    ["imm", ins(0xb7, 1, 0, 0, 2 ** 31), /imm 2147483648 does not fit the 32-bit signed immediate/],
    ["imm", ins(0x85, 0, 1, 0, -(2 ** 31) - 1), /imm -2147483649 /],
    ["imm64", { ...ins(0x18, 1), imm64: 1n << 64n }, /imm64 18446744073709551616 does not fit the 64-bit immediate/],
    ["imm64", { ...ins(0x18, 1), imm64: -(1n << 63n) - 1n }, /imm64 -9223372036854775809 /],
  ])("rejects an out-of-range %s instead of wrapping", (_f, i, msg) => {
    expect(enc(i)).toThrow(EncodeError);
    expect(enc(i)).toThrow(msg);
  });

  it("accepts every field's extremes unchanged", () => {
    const edge = [
      ins(0x05, 0, 0, 32767),
      ins(0x05, 0, 0, -32768),
      ins(0xb7, 15, 15, 0, 2 ** 31 - 1),
      ins(0xb7, 0, 0, 0, -(2 ** 31)),
      { ...ins(0x18, 1), imm64: (1n << 64n) - 1n },
      { ...ins(0x18, 1), imm64: -(1n << 63n) },
    ];
    const back = decodeInsns(encodeInsns(edge));
    const fields = (i: Insn) => [i.dst, i.src, i.off, i.code === 0x18 ? i.imm64 : i.imm];
    expect(back.map(fields)).toEqual(edge.map((i) => fields({ ...i, imm64: BigInt.asUintN(64, i.imm64 ?? 0n) })));
  });

  it("names the label and the instruction when a resolved jump does not fit its field", () => {
    const far: Insn[] = [
      { ...ins(0x15, 1), target: "end" },
      ...Array.from({ length: 32768 }, () => ins(0xb7)),
      ins(0x95),
    ];
    const labels = new Map([["end", far.length - 1]]);
    expect(() => encodeInsns(far, labels)).toThrow(
      /instruction 0: jump to 'end' is out of range: off 32768 does not fit/,
    );
    far[0] = { ...ins(0x06), target: "end" }; // gotol: 32-bit offset in imm
    expect(decodeInsns(encodeInsns(far, labels))[0].imm).toBe(32768);
    expect(fieldError("imm", 2 ** 31)).toMatch(/does not fit/);
  });

  it("the object writer (DSL output) range-checks too: no silent 16-bit wrap", () => {
    const insns: Insn[] = [
      { ...ins(0x05), target: "end" },
      ...Array.from({ length: 70000 }, () => ins(0xb7)),
      ins(0x95),
    ];
    const func = { name: "f", insns, labels: new Map([["end", insns.length - 1]]), global: true };
    expect(() => writeBpfObject({ license: "GPL", programs: [{ section: "xdp", func }], maps: [] })).toThrow(
      /f: instruction 0: jump to 'end' is out of range: off 70000/,
    );
  });
});

describe("assembler: out-of-range operands and branches are file:line:col diagnostics", () => {
  const asm = (src: string) => assembleToObject(src, "r.s", { sectionStyle: "tsebpf" }).diagnostics.map(formatCompact);
  it("numeric operands", () => {
    expect(
      asm(
        " if r1 > 2 goto +40000\n gotol +0x80000000\n *(u32 *)(r1 + 40000) = r2\n r0 = 0x1ffffffff\n call f + 0x100000000000\nf:\n exit\n",
      ),
    ).toEqual([
      "r.s:1:17: error ASM002: operand is not an identifier or 16-bit signed integer",
      "r.s:2:8: error ASM002: operand is not an identifier or 32-bit signed integer",
      "r.s:3:14: error ASM002: operand is not a 16-bit signed integer",
      "r.s:4:7: error ASM002: operand is not a 32-bit immediate",
      "r.s:5:9: error ASM002: call addend out of range (32-bit signed, in instructions)",
    ]);
  });
  it("a label beyond a 16-bit offset (llvm-mc-19 aborts: 'Branch target out of insn range'); gotol reaches it", () => {
    const body = " r0 = 1\n".repeat(40000);
    expect(asm(`a:\n if r1 > 2 goto b\n${body}b:\n goto a\n exit\n`)).toEqual([
      "r.s:2:2: error ASM006: jump to 'b' is out of range for a 16-bit offset (40000)",
      "r.s:40004:2: error ASM006: jump to 'a' is out of range for a 16-bit offset (-40002)",
    ]);
    expect(asm(`a:\n gotol b\n${body}b:\n gotol a\n exit\n`)).toEqual([]);
  });
});

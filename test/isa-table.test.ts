// The instruction table, encoder, decoder and printer: table integrity, encode/decode round trips
// for every entry, label resolution, and the printer on hand-made (non-canonical) bytes compared
// with llvm-objdump-14 and -19, including what they show as `<unknown>`.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { haveTools } from "./helpers/env.js";
import { suiteDir } from "./helpers/tmp.js";
import { OP_TABLE } from "../compiler/isa/table.js";
import { findEntry } from "../compiler/isa/lookup.js";
import { encodeInsns, EncodeError } from "../compiler/isa/encode.js";
import { decodeInsns } from "../compiler/isa/decode.js";
import { branchTarget, printInsn } from "../compiler/isa/print.js";
import type { Insn } from "../compiler/isa/insn.js";
import { formCount } from "../compiler/asm/forms.js";

const ins = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });

describe("instruction table", () => {
  it("has unique names and covers every RFC 9669 family", () => {
    const names = OP_TABLE.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of [
      "add64_imm",
      "sdiv32_reg",
      "smod64_imm",
      "movsx64_32",
      "movsx32_16",
      "neg32",
      "le16",
      "be64",
      "bswap32",
      "ldxdw",
      "ldxsw",
      "stxb",
      "stdw",
      "lddw",
      "ld_pseudo1",
      "ld_pseudo6",
      "ldabsw",
      "ldindb",
      "jset_imm",
      "jsle32_reg",
      "ja",
      "gotol",
      "call",
      "call_local",
      "call_kfunc",
      "callx",
      "exit",
      "may_goto",
      "addr_space_cast",
      "atomic64_fetch_xor",
      "atomic32_or",
      "atomic64_xchg",
      "atomic32_cmpxchg",
    ])
      expect(names).toContain(n);
    expect(OP_TABLE.length).toBeGreaterThan(150);
    expect(formCount()).toBeGreaterThan(OP_TABLE.length);
  });

  it("decodes every entry's canonical encoding back to the same entry", () => {
    for (const e of OP_TABLE) {
      const i = ins(e.code, 1, e.src ?? (e.name === "ld_pseudo" ? 9 : 2), e.off ?? 0, e.imm ?? 0);
      if (/%off|%tgt/.test(`${e.asm} ${e.asm32}`)) i.off = -3;
      if (e.name.startsWith("ldabs") || e.name.startsWith("ldind")) {
        i.dst = 0;
        if (e.name.startsWith("ldabs")) i.src = 0;
      }
      if (e.name === "callx" || e.name.startsWith("call") || e.name === "exit" || e.name === "gotol") {
        i.dst = e.name === "callx" ? 1 : 0;
      }
      if (!/%[rw]s|%srcn/.test(`${e.asm} ${e.asm32} ${e.parse}`) && e.src === undefined) i.src = 0;
      if (
        !/%[rw]d|%rimm/.test(`${e.asm} ${e.asm32} ${e.parse}`) &&
        !e.name.startsWith("ldabs") &&
        !e.name.startsWith("ldind")
      )
        i.dst = 0;
      if (e.code === 0x18) i.imm64 = 0x1122334455667788n;
      const bytes = encodeInsns([i]);
      const back = decodeInsns(bytes);
      expect(back.length, e.name).toBe(1);
      expect(findEntry(back[0])?.name, e.name).toBe(e.name);
      expect(encodeInsns(back), e.name).toEqual(bytes);
    }
  });

  it("resolves labels into off, and into imm for gotol and local calls", () => {
    const insns: Insn[] = [
      { ...ins(0x15, 1, 0, 0, 0), target: "end" }, // if r1 == 0 goto end
      { ...ins(0x18, 2), imm64: 5n },
      { ...ins(0x06), target: "top" },
      { ...ins(0x85, 0, 1, 0, 0), target: "end" },
      ins(0x95),
    ];
    const out = decodeInsns(
      encodeInsns(
        insns,
        new Map([
          ["top", 0],
          ["end", 4],
        ]),
      ),
    );
    expect(out.map((i) => [i.off, i.imm])).toEqual([
      [4, 0],
      [0, 5],
      [0, -4],
      [0, 0],
      [0, 0],
    ]);
    expect(() => encodeInsns([{ ...ins(0x05), target: "nope" }])).toThrow(EncodeError);
  });

  it("computes branch targets for objdump labels", () => {
    expect(branchTarget(ins(0x15, 1, 0, 3, 0), 10)).toBe(14);
    expect(branchTarget(ins(0x05, 0, 0, -1, 0), 10)).toBe(10);
    expect(branchTarget(ins(0x06, 0, 0, 0, -11), 10)).toBe(0);
    expect(branchTarget(ins(0xe5, 0, 0, 2, 0), 0)).toBe(3);
    expect(branchTarget(ins(0x85, 0, 1, 0, 4), 2)).toBe(7);
    expect(branchTarget(ins(0x85, 0, 0, 0, 4), 2)).toBeUndefined();
    expect(branchTarget(ins(0x95), 2)).toBeUndefined();
    expect(branchTarget(ins(0x07, 1, 0, 5, 1), 2)).toBeUndefined();
  });

  it("prints unknown opcodes as <unknown>", () => {
    expect(printInsn(ins(0xff))).toBe("<unknown>");
    expect(printInsn(ins(0x95, 1, 2, 3, 4))).toBe("<unknown>");
    expect(printInsn(ins(0xd4, 1, 0, 0, 7), { hex: true })).toBe("<unknown>");
    expect(printInsn(ins(0xd7, 1, 0, 0, 16))).toBe("<unknown>"); // no bswap in LLVM 14
    expect(printInsn(ins(0xd7, 1, 0, 0, 16), { hex: true })).toBe("r1 = bswap16 r1");
  });
});

/** Raw instruction words (some non-canonical) for the printer-vs-objdump check. */
function rawCases(): Insn[] {
  const out: Insn[] = [];
  for (let s = 0; s <= 7; s++) out.push({ ...ins(0x18, 1, s, 0, 5), imm64: 5n });
  out.push(
    ins(0x85, 0, 2, 0, 7),
    ins(0x85, 0, 1, 0, 7),
    ins(0x85, 3, 0, 0, 0),
    ins(0x8d, 0, 0, 0, 2),
    ins(0x8d, 3, 0, 0, 0),
  );
  out.push(
    ins(0xbf, 1, 2, 7, 0),
    ins(0xbf, 1, 2, 1, 0),
    ins(0xbf, 1, 2, 1, 0x10005),
    ins(0xbc, 1, 2, 1, 1),
    ins(0xbc, 1, 2, 32, 0),
    ins(0xbf, 1, 2, 0, 3),
  );
  out.push(ins(0xdb, 1, 2, 0, 0x11), ins(0xc3, 1, 2, 0, 0x41), ins(0xc3, 1, 2, 0, 0xe1), ins(0xc3, 1, 2, 0, 0x01));
  out.push(
    ins(0xd4, 1, 0, 0, 16),
    ins(0xd4, 1, 0, 0, 7),
    ins(0xd7, 1, 0, 0, 8),
    ins(0xdc, 1, 0, 0, 32),
    ins(0xff),
    ins(0x3f, 1, 2, 2, 0),
  );
  out.push(
    ins(0x37, 1, 0, 1, 3),
    ins(0x34, 1, 0, 1, -3),
    ins(0x97, 1, 0, 1, 3),
    ins(0x97, 1, 0, 0, 3),
    ins(0x9c, 1, 2, 0, 0),
  );
  out.push(
    ins(0xe5, 0, 0, -1, 0),
    ins(0xe5, 0, 0, 0, 1),
    ins(0x06, 0, 0, 5, -7),
    ins(0x05, 0, 0, -1, 5),
    ins(0x95, 1, 2, 3, 4),
    ins(0x95),
  );
  out.push(
    ins(0xb7, 0, 0, 0, -2147483648),
    { ...ins(0x18), imm64: 0x8000000000000000n },
    { ...ins(0x18), imm64: 0xffffffff00000000n },
  );
  out.push(
    ins(0x20, 1, 2, 3, 4),
    ins(0x40, 1, 2, 3, 4),
    ins(0x50, 0, 1, 0, 0),
    ins(0x58, 0, 1, 0, 0),
    ins(0x38, 0, 0, 0, 1),
  );
  out.push(
    ins(0x87, 1, 2, 3, 4),
    ins(0x8f, 1, 2, 0, 0),
    ins(0x71, 1, 2, 3, 4),
    ins(0x72, 1, 0, -8, 5),
    ins(0x7b, 1, 2, 3, 4),
    ins(0x62, 10, 0, -4, -1),
  );
  out.push(
    ins(0x45, 1, 0, 2, 5),
    ins(0x4e, 1, 2, 2, 0),
    ins(0x16, 1, 0, 2, 5),
    ins(0x1d, 1, 2, 3, 4),
    ins(0xb4, 1, 2, 0, 5),
    ins(0x04, 1, 0, 7, 5),
  );
  out.push(
    ins(0x81, 1, 2, -5, 0),
    ins(0x61, 1, 2, 0, 0),
    ins(0x63, 1, 2, 0, 0),
    ins(0x84, 1, 0, 0, 0),
    ins(0xc4, 1, 0, 0, 31),
  );
  out.push(
    ins(0xb7, 1, 2, 0, 5),
    ins(0x15, 1, 2, 0, 5),
    ins(0x5d, 1, 2, 0, 5),
    ins(0x3c, 1, 2, 9, 0),
    ins(0x65, 1, 3, 1, 2),
  );
  return out;
}

describe.skipIf(!haveTools("llvm-mc-19", "llvm-objdump-14", "llvm-objdump-19"))(
  "printer on raw bytes against llvm-objdump",
  () => {
    const insns = rawCases();
    const bytes = encodeInsns(insns);
    const at = suiteDir("tsebpf-isa-", (f) => {
      writeFileSync(f("raw.s"), `\t.text\n${Array.from(bytes, (b) => `\t.byte ${b}\n`).join("")}`);
      execFileSync("llvm-mc-19", ["-triple", "bpfel", "-filetype=obj", f("raw.s"), "-o", f("raw.o")]);
    });
    // slot → printed text (objdump skips 8 bytes for <unknown>, 16 for ld_imm64 forms)
    const dump = (tool: string, args: string[]) =>
      new Map(
        execFileSync(tool, ["-d", ...args, at("raw.o")], { encoding: "utf8" })
          .split("\n")
          .filter((l) => /^\s+\d+:\t/.test(l))
          .map(
            (l) =>
              [
                Number(/^\s+(\d+):/.exec(l)![1]),
                l.replace(/^\s+\d+:\t(?:[0-9a-f]{2} ?)+\t/, "").replace(/ <[^<>]*>$/, ""),
              ] as const,
          ),
      );
    const modes = [
      ["llvm-objdump-14", [], {}],
      ["llvm-objdump-19", ["--print-imm-hex"], { hex: true }],
      ["llvm-objdump-19", ["--print-imm-hex", "--mcpu=v4"], { hex: true, alu32: true }],
    ] as const;
    for (const [tool, args, opts] of modes) {
      it(`${tool} ${args.join(" ")}`, () => {
        const want = dump(tool, [...args]);
        const diffs: string[] = [];
        let slot = 0;
        for (const i of decodeInsns(bytes)) {
          const g = printInsn(i, opts);
          if (g !== want.get(slot))
            diffs.push(
              `${slot} ${Buffer.from(encodeInsns([i])).toString("hex")}: ours '${g}' llvm '${want.get(slot)}'`,
            );
          slot += i.code === 0x18 ? 2 : 1;
        }
        expect(diffs).toEqual([]);
      });
    }
  },
);

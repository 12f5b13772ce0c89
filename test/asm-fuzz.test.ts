// Bad input never throws: random token soup through both assemblers and random bytes through
// the decoder and printer give diagnostics or <unknown>, never an exception. Seeded, so repeatable.
import { describe, expect, it } from "vitest";
import { assembleLlvm } from "../compiler/asm/assemble.js";
import { parseUbpf } from "../compiler/asm/ubpf.js";
import { decodeInsns } from "../compiler/isa/decode.js";
import { printInsn } from "../compiler/isa/print.js";
import { OP_TABLE } from "../compiler/isa/table.js";

function rng(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
}

const PIECES = [
  "r1",
  "w2",
  "r10",
  "r11",
  "=",
  "+=",
  "s>>=",
  "*(",
  "u32",
  "*)",
  "(",
  ")",
  "[",
  "]",
  "+",
  "-",
  "0x",
  "99999999999999999999",
  "-1",
  "goto",
  "if",
  "ll",
  "call",
  "exit",
  ".section",
  ".quad",
  ".size",
  ".type",
  "@function",
  '"str',
  '"ok"',
  "foo:",
  ",",
  "#",
  "/*",
  "*/",
  ";",
  "%r1",
  "lock",
  "fetch",
  "[%r1+2]",
  "mov32",
  "lddw",
  "ja",
  "+3",
  "label",
  ".p2align",
  "40",
  "\t",
  "\n",
  "`",
  "\\",
  "-- asm",
];

describe("robustness", () => {
  it("assemblers report diagnostics, never throw, on random input", () => {
    const r = rng(42);
    for (let k = 0; k < 3000; k++) {
      const n = 1 + Math.floor(r() * 8);
      const line = Array.from({ length: n }, () => PIECES[Math.floor(r() * PIECES.length)]).join(r() < 0.5 ? " " : "");
      expect(() => assembleLlvm(line, "fuzz.s"), line).not.toThrow();
      expect(() => parseUbpf(line, "fuzz.s"), line).not.toThrow();
    }
  });

  it("assemblers survive mutated valid templates", () => {
    const r = rng(7);
    for (const e of OP_TABLE) {
      if (!e.asm) continue;
      const base = e.asm.replace(
        /%[a-z0-9]+/g,
        () => ["r1", "w1", "5", "+2", "lbl", "-32769", "0x1ffffffff"][Math.floor(r() * 7)],
      );
      for (let k = 0; k < 5; k++) {
        const i = Math.floor(r() * base.length);
        const mutated = base.slice(0, i) + base.slice(i + 1 + Math.floor(r() * 3));
        expect(() => assembleLlvm(`lbl:\n\t${mutated}\n`, "m.s"), mutated).not.toThrow();
      }
    }
  });

  it("the decoder and printer accept any bytes", () => {
    const r = rng(1);
    const bytes = new Uint8Array(8 * 20000 + 5).map(() => Math.floor(r() * 256));
    const insns = decodeInsns(bytes);
    expect(insns.length).toBeGreaterThan(15000);
    for (const i of insns) {
      expect(typeof printInsn(i)).toBe("string");
      expect(typeof printInsn(i, { hex: true, alu32: true })).toBe("string");
    }
  });
});

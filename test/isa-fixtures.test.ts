// The printer on clang-built objects (fixtures/c/*.o, clang 14 and 19, with and without -g):
// every instruction of every code section prints as llvm-objdump-14 -d and
// llvm-objdump-19 -d --print-imm-hex print it.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { haveTools } from "./helpers/env.js";
import { readElf } from "../compiler/elf/read-elf.js";
import { decodeInsns } from "../compiler/isa/decode.js";
import { printInsn, type PrintOptions } from "../compiler/isa/print.js";

const objects = readdirSync("fixtures/c")
  .filter((f) => f.endsWith(".o"))
  .map((f) => `fixtures/c/${f}`);

/** section name → slot → text, from llvm-objdump. */
function dump(tool: string, args: string[], obj: string): Map<string, Map<number, string>> {
  const out = new Map<string, Map<number, string>>();
  let cur: Map<number, string> | undefined;
  for (const l of execFileSync(tool, ["-d", ...args, obj], { encoding: "utf8" }).split("\n")) {
    const sec = /^Disassembly of section (.+):$/.exec(l);
    if (sec) out.set(sec[1], (cur = new Map()));
    const m = /^\s+(\d+):\t(?:[0-9a-f]{2} ?)+\t(.*)$/.exec(l);
    if (m && cur) cur.set(Number(m[1]), m[2].replace(/ <[^<>]*>$/, ""));
  }
  return out;
}

describe.skipIf(!haveTools("llvm-objdump-14", "llvm-objdump-19"))("printer on clang-built fixtures", () => {
  const modes: [string, string[], PrintOptions][] = [
    ["llvm-objdump-14", [], {}],
    ["llvm-objdump-19", ["--print-imm-hex"], { hex: true }],
  ];
  for (const obj of objects) {
    it(obj, () => {
      const elf = readElf(new Uint8Array(readFileSync(obj)));
      let checked = 0;
      for (const [tool, args, opts] of modes) {
        const want = dump(tool, args, obj);
        for (const s of elf.sections.filter((x) => x.flags & 4 && x.size > 0)) {
          let slot = 0;
          for (const i of decodeInsns(s.data)) {
            const expected = want.get(s.name)?.get(slot);
            if (expected !== undefined) {
              // llvm-objdump prints runs of zero words as "..."
              expect(printInsn(i, opts), `${tool} ${s.name}:${slot}`).toBe(expected);
              checked++;
            }
            slot += i.code === 0x18 ? 2 : 1;
          }
        }
      }
      expect(checked).toBeGreaterThan(2);
    });
  }
});

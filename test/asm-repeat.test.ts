// The assembler replays the bytes of repeated lines (a speed-up): repeated lines must still give
// llvm-mc-19's bytes, and a repeated bad line must be reported at each of its own positions.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { haveTools } from "./helpers/env.js";
import { withTempDir } from "./helpers/tmp.js";
import { assembleToObject } from "../compiler/asm/index.js";
import { readElf } from "../compiler/elf/read-elf.js";
import { formatCompact } from "../compiler/diagnostics.js";

const lines = ["r1 += r2", "w3 = w4", "call 1", "r0 = be16 r0", "*(u64 *)(r10 - 8) = r1", "r1 = 7 ll"];
const body = Array.from({ length: 3000 }, (_, i) => `\t${lines[(i * 7) % lines.length]}`);
const src = [
  "\t.text",
  "\t.globl\tf",
  "\t.type\tf,@function",
  "f:",
  ...body,
  "\texit",
  ".Lend:",
  "\t.size\tf, .Lend-f",
  "",
].join("\n");

function textOf(obj: Uint8Array): string {
  const elf = readElf(obj);
  return Buffer.from(elf.sections.find((s) => s.name === ".text")!.data).toString("hex");
}

describe("repeated lines", () => {
  it.skipIf(!haveTools("llvm-mc-19"))("give llvm-mc-19's bytes", () => {
    withTempDir("tsebpf-repeat-", (dir) => {
      writeFileSync(join(dir, "r.s"), src);
      execFileSync("llvm-mc-19", [
        "-triple",
        "bpfel",
        "-mcpu=v4",
        "-filetype=obj",
        join(dir, "r.s"),
        "-o",
        join(dir, "r.o"),
      ]);
      const ours = assembleToObject(src, "r.s", { sectionStyle: "tsebpf" });
      expect(ours.diagnostics).toEqual([]);
      expect(textOf(ours.object!)).toBe(textOf(new Uint8Array(readFileSync(join(dir, "r.o")))));
    });
  });

  it("report a repeated bad line at every occurrence", () => {
    const bad = [
      "\t.text",
      "f:",
      "\tr1 += r99",
      "\tr0 = 1",
      "\tr1 += r99",
      "\tr0 = 1",
      "\tr1 += r99",
      "\texit",
      "",
    ].join("\n");
    const r = assembleToObject(bad, "bad.s", { sectionStyle: "tsebpf" });
    expect(r.object).toBeUndefined();
    expect(r.diagnostics.map((d) => formatCompact(d).split(": error")[0])).toEqual(
      ["bad.s:3:2", "bad.s:5:2", "bad.s:7:2"].map((p) => p.replace(/:2$/, `:${r.diagnostics[0].span!.col}`)),
    );
  });
});

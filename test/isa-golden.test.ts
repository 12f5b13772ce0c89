// Golden listing of the instruction table (fixtures/isa/table.txt): any change to an opcode, a
// discriminator or a printed/parsed form shows up as a diff. Regenerate with UPDATE_FIXTURES=1;
// a missing golden fails. Also the golden helper itself (refused under CI).
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { OP_TABLE } from "../compiler/isa/table.js";
import { expectGolden } from "./helpers/golden.js";
import { suiteDir } from "./helpers/tmp.js";

const GOLDEN = "fixtures/isa/table.txt";

function listing(): string {
  const hex = (n: number) => `0x${n.toString(16).padStart(2, "0")}`;
  const rows = OP_TABLE.map((e) => {
    const disc = [
      e.off !== undefined ? `off=${e.off}` : "",
      e.imm !== undefined ? `imm=${hex(e.imm)}` : "",
      e.src !== undefined ? `src=${e.src}` : "",
    ]
      .filter(Boolean)
      .join(" ");
    const show = (t: string | null | undefined) =>
      t === undefined ? "=" : t === null ? "<unknown>" : t.replace(/\t/g, "\\t");
    return [
      e.name,
      hex(e.code),
      disc || "-",
      show(e.asm),
      show(e.asm32),
      show(e.llvm14),
      e.parse ? `parse: ${e.parse.join(" ; ") || "(none)"}` : "",
      e.ubpf ? `ubpf: ${e.ubpf}` : "",
    ].join(" | ");
  });
  return `# name | opcode | discriminators | llvm-objdump-19 | with --mcpu=v4 (= same) | llvm-objdump-14 (= same) | parse | ubpf\n${rows.join("\n")}\n`;
}

describe("instruction table golden", () => {
  it(GOLDEN, () => expectGolden(GOLDEN, listing()));
});

describe("golden files (test/helpers/golden.ts)", () => {
  const at = suiteDir("tsebpf-golden-");
  it("a missing golden fails; UPDATE_FIXTURES=1 writes it, and is refused when CI is set", () => {
    const file = at("g.txt");
    expect(() => expectGolden(file, "x\n", {})).toThrow(/missing golden/);
    expect(() => expectGolden(file, "x\n", { UPDATE_FIXTURES: "1", CI: "true" })).toThrow(/refused when CI is set/);
    expect(existsSync(file)).toBe(false);
    expectGolden(file, "x\n", { UPDATE_FIXTURES: "1" });
    expect(readFileSync(file, "utf8")).toBe("x\n");
    expect(() => expectGolden(file, "y\n", {})).toThrow();
  });
});

// The one registry of diagnostic codes (compiler/codes.ts): no producer in compiler/ spells a code
// itself, every code is defined once and listed in docs/diagnostics.md, and the docs list no other.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ASM_CODES, DSL_CODES } from "../compiler/codes.js";

const CODE = /\b(?:TSB?\d{4,5}|ASM\d{3})\b/g;
const registered = [...Object.values(DSL_CODES), ...Object.values(ASM_CODES)];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => join(e.parentPath ?? e.path, e.name));
}

describe("diagnostic codes", () => {
  it("are spelled only in compiler/codes.ts", () => {
    const raw = sources("compiler")
      .filter((f) => f !== join("compiler", "codes.ts"))
      .flatMap((f) =>
        [...readFileSync(f, "utf8").matchAll(/["'`](?:TSB?\d{4,5}|ASM\d{3})["'`]/g)].map((m) => `${f}: ${m[0]}`),
      );
    expect(raw).toEqual([]);
  });

  it("are each defined once", () => {
    expect(registered.length).toBe(new Set(registered).size);
  });

  it("are each used by a producer", () => {
    const text = sources("compiler")
      .filter((f) => f !== join("compiler", "codes.ts"))
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
    const unused = [
      ...Object.keys(DSL_CODES).filter((k) => !text.includes(`"${k}"`)),
      ...Object.keys(ASM_CODES).filter((k) => !text.includes(`ASM.${k}`)),
    ];
    expect(unused).toEqual([]);
  });

  it("are listed in docs/diagnostics.md, which lists no other", () => {
    const rows = readFileSync("docs/diagnostics.md", "utf8")
      .split("\n")
      .filter((l) => /^\| [A-Z]+\d+ \|/.test(l));
    const documented = rows.map((l) => l.split("|")[1]!.trim());
    expect(documented.length).toBe(new Set(documented).size);
    expect([...documented].sort()).toEqual([...registered].sort());
    for (const c of documented) expect(c).toMatch(CODE);
  });
});

// Error fixtures: every fixtures/errors/*.ts reports exactly the (line, code) pairs its
// `// expect: CODE` comments name, and its compact diagnostics match <name>.expected.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseProgram } from "../compiler/dsl/syntax/parser.js";
import { checkProgram } from "../compiler/dsl/check/checker.js";
import { formatCompact, type Diagnostic } from "../compiler/diagnostics.js";
import { expectGolden } from "./helpers/golden.js";

const DIR = "fixtures/errors";
const files = readdirSync(DIR)
  .filter((f) => f.endsWith(".ts"))
  .sort();

function frontEnd(text: string, file: string): Diagnostic[] {
  const p = parseProgram(text, file);
  const c = checkProgram(p.ast);
  return [...p.diagnostics, ...c.diagnostics];
}

function expectations(text: string): string[] {
  const out: string[] = [];
  text.split("\n").forEach((line, i) => {
    for (const m of line.matchAll(/\/\/ expect: ((?:TSB?\d+[ ,]*)+)/g))
      for (const code of m[1]!.split(/[ ,]+/).filter(Boolean)) out.push(`${i + 1} ${code}`);
  });
  return out.sort();
}

describe("DSL error fixtures", () => {
  it("has the fixtures the brief asks for", () => {
    for (const f of [
      "syntax-error",
      "unknown-name",
      "type-error",
      "unbounded-loop",
      "null-check",
      "unknown-map-method",
      "unknown-helper",
      "wrong-return-type",
      "class",
      "closure",
      "while-loop",
      "recursion",
      "import-elsewhere",
      "const-reassign",
    ])
      expect(files).toContain(`${f}.ts`);
  });

  for (const f of files) {
    it(f, () => {
      const path = join(DIR, f);
      const text = readFileSync(path, "utf8");
      const ds = frontEnd(text, path);
      const want = expectations(text);
      expect(want.length, "a fixture must expect at least one error").toBeGreaterThan(0);
      expect(ds.map((d) => `${d.span?.line} ${d.code}`).sort()).toEqual(want);
      for (const d of ds) expect(d.span, formatCompact(d)).toBeDefined();
      const compact = ds.map(formatCompact).join("\n") + "\n";
      expectGolden(path.replace(/\.ts$/, ".expected"), compact);
    });
  }
});

// The typed CST (compiler/dsl/syntax/cst.ts) is what Chevrotain's generateCstDts makes of grammar.ts,
// every child made optional (error recovery can leave any part of a node out): a grammar change
// without regenerating fails here. Regenerate with UPDATE_FIXTURES=1 (refused when CI is set); a
// missing file fails.
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { chevrotain } from "../compiler/dsl/syntax/chevrotain.js";
import { getParser } from "../compiler/dsl/syntax/grammar.js";

const FILE = "compiler/dsl/syntax/cst.ts";

const HEADER = `// The DSL's CST node types: generated from grammar.ts by Chevrotain's generateCstDts (see
// test/dsl-cst-types.test.ts; regenerate with UPDATE_FIXTURES=1). Do not edit. Every child is
// optional: error recovery can leave any part of a node out, also one the grammar requires.
`;

function cstTypes(): string {
  const dts = chevrotain.generateCstDts(getParser().getGAstProductions(), { includeVisitorInterface: false });
  return HEADER + dts.replace("ICstVisitor, ", "").replace(/^ {2}(\w+): (.*\[\];)$/gm, "  $1?: $2");
}

describe("typed CST", () => {
  it(`${FILE} is generateCstDts of the grammar`, () => {
    const text = cstTypes();
    if (process.env.UPDATE_FIXTURES === "1") {
      if (process.env.CI) throw new Error("UPDATE_FIXTURES is refused in CI: regenerate locally and commit");
      writeFileSync(FILE, text);
    }
    expect(existsSync(FILE), `${FILE} is missing: run with UPDATE_FIXTURES=1`).toBe(true);
    expect(readFileSync(FILE, "utf8")).toBe(text);
  });
});

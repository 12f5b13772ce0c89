// The typed CST (compiler/dsl/syntax/cst.ts) is what Chevrotain's generateCstDts makes of grammar.ts,
// every child made optional (error recovery can leave any part of a node out): a grammar change
// without regenerating fails here. Regenerate with UPDATE_FIXTURES=1 (test/helpers/golden.ts).
import { describe, it } from "vitest";
import { expectGolden } from "./helpers/golden.js";
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
    expectGolden(FILE, cstTypes());
  });
});

// The example programs are valid TypeScript: they type-check with tsc against the declarations
// the package ships for `import … from "tsebpf"` (types/tsebpf.d.ts).
import { describe, expect, it } from "vitest";
import ts from "typescript";
import { readdirSync } from "node:fs";
import { resolve } from "node:path";

describe("programs/*.ts", () => {
  it("type-check with tsc against types/tsebpf.d.ts", () => {
    const files = readdirSync("programs")
      .filter((f) => f.endsWith(".ts"))
      .map((f) => resolve("programs", f));
    expect(files.length).toBeGreaterThan(5);
    const program = ts.createProgram(files, {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: [],
      paths: { tsebpf: [resolve("types/tsebpf.d.ts")] },
    });
    const diags = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    expect(diags).toEqual([]);
  });
});

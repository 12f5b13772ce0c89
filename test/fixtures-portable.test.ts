// Committed clang objects must not name the tree that built them: DWARF and BTF source paths are
// relative to the repository root (fixtures/c/rebuild.sh, fixtures/c-twins/rebuild.sh), so
// llvm-objdump -S and our objdump -S find the source from any clone.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const dirs = ["fixtures/c", "fixtures/c-twins"];
const objects = dirs.flatMap((d) =>
  readdirSync(d)
    .filter((f) => f.endsWith(".o"))
    .map((f) => join(d, f)),
);

describe("clang fixtures are portable", () => {
  it("there are objects to check", () => expect(objects.length).toBeGreaterThan(20));
  it.each(objects)("%s names no absolute source path", (f) => {
    const text = readFileSync(f).toString("latin1");
    expect(text.match(/\/(?:work|home|tmp|root)\/[\x21-\x7e]*/g) ?? []).toEqual([]);
  });
});

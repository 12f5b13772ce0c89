// Style and import rules as part of `npm test` (so CI, which runs README's test command, runs them):
// `npm run lint` passes on the tree, and scripts/check-imports.mjs reports each kind of broken
// import rule in a small planted tree.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { suiteDir } from "./helpers/tmp.js";

const ROOT = new URL("..", import.meta.url).pathname;

function run(cmd: string, args: string[]): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("lint", () => {
  it("npm run lint passes (biome's rules and the import rules)", () => {
    const r = run("npm", ["run", "--silent", "lint"]);
    expect(r.code, r.out).toBe(0);
  });
});

describe("scripts/check-imports.mjs", () => {
  const PLANTED: Record<string, string> = {
    "compiler/isa/a.ts": 'import { b } from "../asm/b.js";\nexport const a = b;',
    "compiler/asm/b.ts": 'import type { C } from "../../loader/c.js";\nexport const b = 1 as C;',
    "loader/c.ts": 'export type C = number;\nexport const c = () => import("../cli/d.js");',
    "cli/d.ts": 'import { e } from "../loader/vm/e.js";\nexport const d = e;',
    "loader/vm/e.ts": 'import { f } from "../sys/f.js";\nimport type { G } from "../g.js";\nexport const e = f as G;',
    "loader/sys/f.ts": 'import koffi from "koffi";\nimport { e } from "../vm/e.js";\nexport const f = koffi ?? e;',
    "loader/g.ts": 'import koffi from "koffi";\nexport type G = typeof koffi;',
  };
  const at = suiteDir("tsebpf-imports-", (f) => {
    for (const [file, text] of Object.entries(PLANTED)) {
      mkdirSync(dirname(f(file)), { recursive: true });
      writeFileSync(f(file), text);
    }
  });

  it("names each broken rule once: direction, isa, koffi, vm → koffi at run time, cycles", () => {
    const r = run("node", ["scripts/check-imports.mjs", at(".")]);
    expect(r.code).toBe(1);
    expect(r.out.split("\n").filter((l) => !l.startsWith("check-imports:"))).toEqual([
      "compiler/asm/b.ts: compiler imports loader: ../../loader/c.js",
      "compiler/isa/a.ts: compiler/isa imports outside compiler/isa: ../asm/b.js",
      "loader/c.ts: loader imports cli: ../cli/d.js",
      "loader/g.ts: koffi outside loader/sys: koffi",
      "loader/sys/f.ts: import cycle: loader/sys/f.ts, loader/vm/e.ts",
      "loader/vm/e.ts: loader/vm reaches koffi: loader/vm/e.ts → loader/sys/f.ts",
      "",
    ]);
    expect(r.out).toContain("check-imports: 7 files, 6 new breaks");
  });
});

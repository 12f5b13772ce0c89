// Fuzz: ≥ 5,000 mutated programs (token deletions/duplications/swaps/replacements and character
// edits, fixed seed) through parseProgram + checkProgram: never throws, always returns an AST and
// well-formed diagnostics (code, span inside the file).
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { parseProgram } from "../compiler/dsl/syntax/parser.js";
import { checkProgram } from "../compiler/dsl/check/checker.js";
import { tokenize } from "../compiler/dsl/syntax/lexer.js";
import { rng } from "./helpers/rng.js";

const RUNS = 5000;
const SEED = 0x7eb9f;

const dirs = ["fixtures/dsl-samples", "fixtures/errors", "programs"];
const corpus = dirs.flatMap((d) => {
  try {
    return readdirSync(d)
      .filter((f) => f.endsWith(".ts"))
      .map((f) => readFileSync(`${d}/${f}`, "utf8"));
  } catch {
    return [];
  }
});
const CHARS = "{}()[];,.<>=!&|+-*/%^~?:'\"`$@#\\ \n\t0123456789xnabcdefghijklmnopqrstuvwxyz_";

function mutate(src: string, r: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const edits = 1 + Math.floor(r() * 4);
  let text = src;
  for (let e = 0; e < edits; e++) {
    const toks = tokenize(text).tokens;
    const kind = Math.floor(r() * 6);
    if (kind < 4 && toks.length > 2) {
      const i = Math.floor(r() * toks.length);
      const t = toks[i]!;
      const [s, end] = [t.startOffset, t.endOffset! + 1];
      if (kind === 0)
        text = text.slice(0, s) + text.slice(end); // delete a token
      else if (kind === 1)
        text = text.slice(0, end) + " " + t.image + text.slice(end); // duplicate
      else if (kind === 2 && i + 1 < toks.length) {
        // swap with the next token
        const u = toks[i + 1]!;
        text = text.slice(0, s) + u.image + text.slice(end, u.startOffset) + t.image + text.slice(u.endOffset! + 1);
      } else text = text.slice(0, s) + pick(toks).image + text.slice(end); // replace with another token
    } else {
      const i = Math.floor(r() * (text.length + 1));
      if (kind === 4)
        text = text.slice(0, i) + pick([...CHARS]) + text.slice(i); // insert a character
      else text = text.slice(0, i) + text.slice(i + 1 + Math.floor(r() * 3)); // delete characters
    }
  }
  return text;
}

describe("DSL fuzz", () => {
  it("deep nesting gives a diagnostic, not a stack overflow", () => {
    for (const [open, close] of [
      ["(", ")"],
      ["{", "}"],
      ["-", ""],
      ["if (x) ", ""],
    ] as const) {
      const n = 20000;
      const text = `function f(): void {\n x = ${open.repeat(n)}1${close.repeat(n)};\n}`;
      const p = parseProgram(text, "deep.ts");
      const c = checkProgram(p.ast);
      expect([...p.diagnostics, ...c.diagnostics].length).toBeGreaterThan(0);
    }
    // the shared parsers still work afterwards
    const ok = parseProgram(readFileSync("fixtures/dsl-samples/firewall.ts", "utf8"), "f.ts");
    expect(ok.diagnostics).toEqual([]);
    expect(checkProgram(ok.ast).diagnostics).toEqual([]);
    const bad = parseProgram("const a = (1;\nconst b = 2;", "b.ts");
    expect(bad.diagnostics.map((d) => d.code)).toEqual(["TS1005"]);
  });

  it(`${RUNS} mutated programs never throw`, () => {
    expect(corpus.length).toBeGreaterThan(10);
    const r = rng(SEED);
    let withErrors = 0;
    const problems: string[] = [];
    for (let n = 0; n < RUNS; n++) {
      const text = mutate(corpus[n % corpus.length]!, r);
      try {
        const p = parseProgram(text, "fuzz.ts");
        const c = checkProgram(p.ast);
        if (p.ast.kind !== "Program" || c.program.ast !== p.ast) problems.push(`#${n}: no program`);
        const all = [...p.diagnostics, ...c.diagnostics];
        if (all.length) withErrors++;
        const lines = text.split("\n").length;
        for (const d of all) {
          const s = d.span;
          if (!/^TSB?\d+$/.test(d.code) || !s || s.line < 1 || s.line > lines || s.col < 1)
            problems.push(`#${n}: bad diagnostic ${JSON.stringify(d)}`);
        }
      } catch (e) {
        problems.push(`#${n}: threw ${(e as Error).stack}\n${text}`);
      }
      if (problems.length > 5) break;
    }
    expect(problems).toEqual([]);
    expect(withErrors).toBeGreaterThan(RUNS / 2);
  }, 300_000); // a fixed, seeded budget: ≈ 8 s idle, much longer on a loaded machine
});

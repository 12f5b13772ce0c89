// Size regression (not a timing): the instruction slots (with the subprograms it calls) of every
// XDP program of every programs/*.ts and of every C twin (fixtures/c-twins/*.o), against
// fixtures/program-sizes.txt. A program that grows past its recorded size fails; one that shrinks
// fails too, asking for the golden to be updated (so the record stays tight); a program with no
// entry, or an entry with no program, fails with the command that rewrites the file
// (UPDATE_FIXTURES=1, refused under CI).
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readBpfObject } from "../compiler/elf/read-object.js";
import { slotIndex } from "../compiler/isa/encode.js";
import { relocateCalls } from "../compiler/link/relocate.js";
import { buildProgram } from "./helpers/dsl.js";
import { updatingGoldens } from "./helpers/golden.js";

const GOLDEN = "fixtures/program-sizes.txt";
const UPDATE = `UPDATE_FIXTURES=1 npx vitest run test/program-sizes.test.ts`;

const stems = (dir: string, ext: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .map((f) => f.slice(0, -ext.length))
    .sort();

/** "<file> <program>" → slots, for our programs and the twins. */
function measured(): Map<string, number> {
  const m = new Map<string, number>();
  const add = (file: string, bytes: Uint8Array): void => {
    const model = readBpfObject(bytes);
    for (const p of model.programs)
      m.set(`${file} ${p.name}`, slotIndex(relocateCalls(p, model.functions ?? []).insns).at(-1)!);
  };
  for (const s of stems("programs", ".ts")) add(`programs/${s}.ts`, buildProgram(s));
  for (const s of stems("fixtures/c-twins", ".o"))
    add(`fixtures/c-twins/${s}.o`, readFileSync(`fixtures/c-twins/${s}.o`));
  return m;
}

function parseSizes(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length === 3 && !line.startsWith("#")) m.set(`${f[0]} ${f[1]}`, Number(f[2]));
  }
  return m;
}

/** Every way `now` differs from the record, one line each. */
function sizeProblems(recorded: Map<string, number>, now: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [k, n] of now) {
    const was = recorded.get(k);
    if (was === undefined) out.push(`${k}: no recorded size (${n} slots now); record it with ${UPDATE}`);
    else if (n > was) out.push(`${k}: grew from ${was} to ${n} slots`);
    else if (n < was) out.push(`${k}: shrank from ${was} to ${n} slots; update the record with ${UPDATE}`);
  }
  for (const k of recorded.keys()) if (!now.has(k)) out.push(`${k}: recorded but no longer built; ${UPDATE}`);
  return out;
}

const format = (m: Map<string, number>): string =>
  `# instruction slots per program (test/program-sizes.test.ts; ${UPDATE})\n` +
  [...m].map(([k, n]) => `${k} ${n}`).join("\n") +
  "\n";

describe("program sizes", () => {
  it(`no program differs from ${GOLDEN}`, () => {
    const now = measured();
    if (updatingGoldens()) writeFileSync(GOLDEN, format(now));
    if (!existsSync(GOLDEN)) throw new Error(`missing ${GOLDEN}: create it with ${UPDATE}`);
    expect(sizeProblems(parseSizes(readFileSync(GOLDEN, "utf8")), now)).toEqual([]);
  });

  it("names growth, shrinking, missing and stale entries", () => {
    const rec = parseSizes("# c\na.ts p 10\nb.ts q 5\nc.ts r 7\n");
    const now = new Map([
      ["a.ts p", 11],
      ["b.ts q", 4],
      ["d.ts s", 3],
      ["c.ts r", 7],
    ]);
    const got = sizeProblems(rec, now).join("\n");
    expect(got).toMatch(/a\.ts p: grew from 10 to 11 slots/);
    expect(got).toMatch(/b\.ts q: shrank from 5 to 4 slots; update the record with UPDATE_FIXTURES=1/);
    expect(got).toMatch(/d\.ts s: no recorded size \(3 slots now\)/);
    expect(got).not.toMatch(/c\.ts/);
    expect(sizeProblems(rec, new Map([["a.ts p", 10]])).join("\n")).toMatch(/b\.ts q: recorded but no longer built/);
  });
});

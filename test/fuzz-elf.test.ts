// Fuzzing the readers: ≥ 10,000 mutated and truncated objects (deterministic seed) through readElf,
// readBpfObject and the objdump formatters. Each must succeed or throw ElfFormatError; any other
// exception (TypeError, RangeError, a hang or a huge allocation) fails the test.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ElfFormatError } from "../compiler/elf/bytes.js";
import { readElf } from "../compiler/elf/read-elf.js";
import { readBpfObject } from "../compiler/elf/read-object.js";
import { writeBpfObject } from "../compiler/elf/write-object.js";
import { formatObjdump, objdumpJson } from "../compiler/objdump/format.js";
import { firewallInput, helloInput } from "./elf-samples.js";
import { rng } from "./helpers/rng.js";

const SEED = Number(process.env.TSEBPF_FUZZ_SEED ?? 0x5eb9f);
const PER_SEED = Number(process.env.TSEBPF_FUZZ_ITERS ?? 1700);

const seeds: [string, Uint8Array][] = [
  ["fw.o", writeBpfObject(firewallInput())],
  ["hello.o", writeBpfObject(helloInput("xdp"))],
  ["firewall.clang19-g.o", new Uint8Array(readFileSync("fixtures/c/firewall.clang19-g.o"))],
  ["subprog.clang14-g.o", new Uint8Array(readFileSync("fixtures/c/subprog.clang14-g.o"))],
  ["legacy.clang14.o", new Uint8Array(readFileSync("fixtures/c/legacy.clang14.o"))],
  ["parser.clang19.o", new Uint8Array(readFileSync("fixtures/c/parser.clang19.o"))],
];

type Mutator = (b: Uint8Array, r: () => number) => Uint8Array;
const int = (r: () => number, n: number) => Math.floor(r() * n);
const interesting = (r: () => number, len: number) =>
  [0, 1, 7, 8, 24, 64, 0xff, 0xffff, 0x7fffffff, 0xffffffff, len, len - 1, len + 1, int(r, 0x100000000)][int(r, 14)] >>>
  0;
const setU32 = (b: Uint8Array, at: number, v: number) =>
  at >= 0 && at + 4 <= b.length && new DataView(b.buffer, b.byteOffset).setUint32(at, v, true);

/** Offsets of structures worth hitting: header, section headers, and the bytes of named sections. */
function fieldsOf(b: Uint8Array): { shdrs: number[]; sections: { name: string; off: number; size: number }[] } {
  try {
    const elf = readElf(b);
    return {
      shdrs: elf.sections.map((_, i) => elf.header.shoff + i * 64),
      sections: elf.sections.filter((s) => s.size).map((s) => ({ name: s.name, off: s.offset, size: s.size })),
    };
  } catch {
    return { shdrs: [], sections: [] };
  }
}

const mutators: Mutator[] = [
  (b, r) => {
    for (let k = 1 + int(r, 4); k--; ) b[int(r, b.length)] ^= 1 << int(r, 8);
    return b;
  }, // bit flips
  (b, r) => {
    for (let k = 1 + int(r, 3); k--; ) b[int(r, b.length)] = [0, 0xff, int(r, 256)][int(r, 3)];
    return b;
  }, // byte sets
  (b, r) => b.subarray(0, int(r, b.length)), // truncation
  (b, r) => {
    setU32(b, [16, 18, 40, 44, 58, 60, 62][int(r, 7)] & ~1, interesting(r, b.length));
    return b;
  }, // ELF header fields
  (b, r) => {
    const { shdrs } = fieldsOf(b);
    if (shdrs.length)
      setU32(b, shdrs[int(r, shdrs.length)] + [0, 4, 8, 24, 32, 40, 44, 48, 56][int(r, 9)], interesting(r, b.length));
    return b;
  }, // section header fields
  (b, r) => {
    const { sections } = fieldsOf(b);
    const pick = sections.filter((s) => /^(\.symtab|\.rel|\.BTF|\.maps|maps|license|\.tsebpf)/.test(s.name));
    if (pick.length) {
      const s = pick[int(r, pick.length)];
      setU32(b, s.off + 4 * int(r, Math.max(1, s.size / 4)), interesting(r, s.size));
    }
    return b;
  }, // symbol, relocation, BTF, .BTF.ext and map fields
];

const reasons = new Map<string, number>(); // ElfFormatError reason → count
function exercise(bytes: Uint8Array): "ok" | "rejected" {
  try {
    readElf(bytes);
    readBpfObject(bytes);
    formatObjdump(bytes, "f.o", { relocs: true, source: true });
    formatObjdump(bytes, "f.o", { hex: true });
    objdumpJson(bytes, "f.o", { relocs: true, source: true });
    return "ok";
  } catch (e) {
    if (e instanceof ElfFormatError && /at offset 0x[0-9a-f]+$/.test(e.message)) {
      reasons.set(e.what, (reasons.get(e.what) ?? 0) + 1);
      return "rejected";
    }
    throw e;
  }
}

describe("fuzz: hostile objects", () => {
  it(`${seeds.length * PER_SEED} mutated or truncated objects either read or throw ElfFormatError (seed ${SEED})`, () => {
    const r = rng(SEED);
    const failures: string[] = [];
    const tally = { ok: 0, rejected: 0 };
    const t0 = performance.now();
    for (const [name, seed] of seeds) {
      expect(exercise(seed)).toBe("ok");
      for (let i = 0; i < PER_SEED; i++) {
        const m = int(r, mutators.length);
        const rounds = 1 + int(r, 2);
        let b: Uint8Array = seed.slice();
        for (let k = 0; k < rounds; k++) b = mutators[k ? int(r, mutators.length) : m](b.slice(), r);
        try {
          tally[exercise(b)]++;
        } catch (e) {
          if (failures.length < 5)
            failures.push(`${name} #${i} (mutator ${m}): ${(e as Error).stack?.split("\n").slice(0, 3).join(" | ")}`);
        }
      }
    }
    const ms = performance.now() - t0;
    console.log(
      `fuzz: ${tally.ok} read, ${tally.rejected} rejected, ${failures.length ? "FAILURES" : "no failures"} in ${ms.toFixed(0)} ms; ${reasons.size} distinct reasons`,
    );
    expect(failures).toEqual([]);
    expect(tally.ok + tally.rejected).toBeGreaterThanOrEqual(10_000);
    expect(tally.rejected).toBeGreaterThan(1000); // the mutations do reach the checks
    expect(tally.ok).toBeGreaterThan(1000); // and many survive, so later phases run too
  }, 60_000);
});

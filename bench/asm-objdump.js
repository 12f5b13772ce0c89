#!/usr/bin/env node
// Issue 2's benchmark: assemble a ~200,000-instruction file and disassemble its object, whole
// process wall time, tsebpf against llvm-mc-19 and llvm-objdump-19 on the same files, medians.
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { compare, timeProcess } from "./_util.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "bin", "tsebpf"); // the npm bin: the start-up snapshot when it is current
const dir = mkdtempSync(join(tmpdir(), "tsebpf-bench-"));
const N = 200_000;

// Two inputs: "mixed" repeats some lines as compiled code does (r1 += r2, call 1, exit …);
// "distinct" makes every line unique (registers and immediates vary), so no line-level cache helps.
function program(distinct) {
  const r = (i, k) => (distinct ? (i + k) % 10 : k);
  const forms = [
    (i) => `r${i % 10} = ${i}`,
    (i) => `r${r(i, 1)} += r${r(i, 2)}`,
    (i) => `w${r(i, 3)} = w${r(i, 4)}`,
    (i) => `r2 = *(u32 *)(r1 + ${i % 64})`,
    (i) => `*(u64 *)(r10 - ${8 + (i % 8) * 8}) = r1`,
    (i) => `if r1 > ${i % 1000} goto LBB0_${(i >> 4) + 1}`,
    (i) => `r${r(i, 0)} = be16 r${r(i, 0)}`,
    (i) => `call ${distinct ? i % 200 : 1}`,
    (i) => `w${r(i, 1)} <<= ${distinct ? i % 32 : 3}`,
    (i) => `r${r(i, 4)} s>>= r${r(i, 5)}`,
  ];
  const out = ["\t.text", "\t.globl\tbig", "\t.type\tbig,@function", "big:"];
  for (let i = 0; i < N; i++) {
    if (i % 16 === 0) out.push(`LBB0_${i >> 4}:`);
    out.push("\t" + forms[i % forms.length](i));
  }
  out.push(`LBB0_${N >> 4}:`, "\texit", ".Lfunc_end0:", "\t.size\tbig, .Lfunc_end0-big");
  return out.join("\n") + "\n";
}

function measure(name, distinct) {
  const s = join(dir, `${name}.s`);
  writeFileSync(s, program(distinct));
  const ours = join(dir, `${name}-ours.o`),
    theirs = join(dir, `${name}-llvm.o`);
  timeProcess(bin, ["build", s, "-o", ours]); // warm up, and check it works
  const [tAsm, tMc] = compare(
    [
      { cmd: bin, args: ["build", s, "-o", ours] },
      { cmd: "llvm-mc-19", args: ["-triple", "bpfel", "-mcpu=v4", "-filetype=obj", s, "-o", theirs] },
    ],
    5,
  );
  const [tDis, tObjdump] = compare(
    [
      { cmd: bin, args: ["objdump", ours] },
      { cmd: "llvm-objdump-19", args: ["-d", theirs] },
    ],
    5,
  );
  console.log(`${name} lines: ${N + 1} instructions; median wall time of 5 runs (ms)`);
  console.log(
    `  assemble    tsebpf ${tAsm.toFixed(0)}  llvm-mc-19 ${tMc.toFixed(0)}  ratio ${(tAsm / tMc).toFixed(2)}`,
  );
  console.log(
    `  disassemble tsebpf ${tDis.toFixed(0)}  llvm-objdump-19 ${tObjdump.toFixed(0)}  ratio ${(tDis / tObjdump).toFixed(2)}`,
  );
}

try {
  measure("mixed", false);
  measure("distinct", true);
  const [tNode] = compare([{ cmd: process.execPath, args: ["-e", "0"] }], 5);
  console.log(`node -e 0: ${tNode.toFixed(0)} ms`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

#!/usr/bin/env node
// CLI start-up benchmark: whole-process wall time (median of BENCH_RUNS, default 15, interleaved)
// of `node -e 0` beside the npm bin (bin/tsebpf: the start-up snapshot when dist/tsebpf.blob fits
// this node, else the plain CLI) and the plain ESM CLI (node bin/tsebpf.js), for
// `build programs/firewall.ts`, `build programs/hello.s` and `objdump`. Target: build firewall.ts
// through the npm bin ≤ 1.5 × node -e 0.
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compare, row } from "./_util.js";

const root = new URL("../", import.meta.url).pathname;
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const dir = mkdtempSync(join(tmpdir(), "tsebpf-bench-startup-"));
const bin = join(root, "bin/tsebpf");
const plain = [process.execPath, join(root, "bin/tsebpf.js")];
const opts = { cwd: root, env: { ...process.env, PATH: `${join(process.execPath, "..")}:${process.env.PATH}` } };

function blobState() {
  const blob = join(root, "dist/tsebpf.blob");
  if (!existsSync(blob)) return "MISSING: bin/tsebpf runs the plain CLI (node scripts/build-snapshot.js makes it)";
  if (statSync(join(root, "dist/cli/main.js")).mtimeMs > statSync(blob).mtimeMs)
    return "STALE (older than dist/): bin/tsebpf runs the plain CLI (node scripts/build-snapshot.js)";
  return "present";
}

const cases = [
  ["build programs/firewall.ts", ["build", "programs/firewall.ts", "-o", join(dir, "fw.o")]],
  ["build programs/hello.s", ["build", "programs/hello.s", "-o", join(dir, "hello.o")]],
  ["objdump fw.o", ["objdump", join(dir, "fw.o")]],
];

try {
  console.log(`start-up, ms (median of ${RUNS}, interleaved); snapshot blob: ${blobState()}`);
  const commands = [{ cmd: process.execPath, args: ["-e", "0"] }];
  for (const [, args] of cases)
    commands.push({ cmd: bin, args, opts }, { cmd: plain[0], args: [plain[1], ...args], opts });
  compare(commands, 1); // warm the page cache and write fw.o before objdump reads it
  const [node, ...ms] = compare(commands, RUNS);
  const widths = [28, 12, 8, 16, 8];
  console.log(row(["command", "bin/tsebpf", "ratio", "node bin/tsebpf.js", "ratio"], widths));
  console.log(row(["node -e 0", node.toFixed(1), "1.00"], widths));
  cases.forEach(([name], i) => {
    const [s, p] = [ms[2 * i], ms[2 * i + 1]];
    console.log(row([name, s.toFixed(1), (s / node).toFixed(2), p.toFixed(1), (p / node).toFixed(2)], widths));
  });
  console.log(`target: build programs/firewall.ts through bin/tsebpf ≤ 1.5 × node -e 0 → ${(ms[0] / node).toFixed(2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// `npm run conformance -- <dir> [--filter RE] [--vm] [-v]`: run the bpf_conformance suite through
// our ubpf-dialect assembler and the kernel's test-run (the in-process VM with --vm); exit 1 when
// any test fails, 2 (with the usage) without exactly one folder or for a folder with no tests.
import type { Assembler, Encoder } from "./conformance.js";
import { formatReport, runConformance } from "./conformance.js";

const USAGE = `usage: npm run conformance -- <dir> [--filter RE] [--vm] [-v]
  <dir>        the bpf_conformance suite's tests folder (*.data files), e.g. ../shared/conformance/tests
  --filter RE  only the test files whose name matches RE
  --vm         run in the in-process VM instead of the kernel (no root needed)
  -v           print every skip reason in full
`;

export async function conformanceMain(argv: string[]): Promise<number> {
  const verbose = argv.includes("-v") || argv.includes("--verbose");
  const fi = argv.indexOf("--filter");
  if (fi >= 0 && argv[fi + 1] === undefined) return usage("--filter needs a regular expression");
  const filter = fi >= 0 ? new RegExp(argv[fi + 1]) : undefined;
  const dirs = argv.filter((a, i) => !a.startsWith("-") && argv[i - 1] !== "--filter");
  if (dirs.length !== 1) return usage(dirs.length ? `one folder, not ${dirs.length}` : "");
  const { assemble, encode } = await toolchain();
  const run = argv.includes("--vm") ? (await import("./vm/conformance.js")).runVmCase : undefined;
  const report = runConformance(dirs[0], assemble, encode, filter, run);
  process.stdout.write(formatReport(report, verbose));
  return report.failed ? 1 : 0;
}

function usage(why: string): number {
  process.stderr.write((why ? `conformance: error: ${why}\n` : "") + USAGE);
  return 2;
}

export async function toolchain(): Promise<{ assemble: Assembler; encode: Encoder }> {
  const asm = (await import("../compiler/asm/index.js")) as Record<string, unknown>;
  const enc = (await import("../compiler/isa/encode.js")) as Record<string, unknown>;
  if (typeof asm.parseUbpf !== "function") throw new Error("the ubpf-dialect assembler (parseUbpf) is not available");
  return { assemble: asm.parseUbpf as Assembler, encode: enc.encodeInsns as Encoder };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  conformanceMain(process.argv.slice(2)).then(
    (c) => (process.exitCode = c),
    (e) => {
      process.stderr.write(`conformance: error: ${(e as Error).message}\n`);
      process.exitCode = 2;
    },
  );
}

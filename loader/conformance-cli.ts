// `npm run conformance -- <dir> [--filter RE] [-v]`: run the bpf_conformance suite through our
// ubpf-dialect assembler and the kernel's test-run; exit 1 when any test fails.
import type { Assembler, Encoder } from "./conformance.js";
import { formatReport, runConformance } from "./conformance.js";

export async function conformanceMain(argv: string[]): Promise<number> {
  const verbose = argv.includes("-v") || argv.includes("--verbose");
  const fi = argv.indexOf("--filter");
  const filter = fi >= 0 ? new RegExp(argv[fi + 1]) : undefined;
  const dir = argv.find((a, i) => !a.startsWith("-") && argv[i - 1] !== "--filter") ?? new URL("../../../shared/conformance/tests", import.meta.url).pathname; // beside the package, from dist/loader
  const { assemble, encode } = await toolchain();
  const report = runConformance(dir, assemble, encode, filter);
  process.stdout.write(formatReport(report, verbose));
  return report.failed ? 1 : 0;
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

// `tsebpf build <file.ts|file.s>`: compile a DSL program or assemble a .s file into an ELF object
// (out.o unless -o). Diagnostics (at most 100) go to the renderer; on error no object is written.
import type { Command } from "commander";
import { writeFileSync } from "node:fs";
import type { Io } from "../io.js";
import { CliError } from "../errors.js";
import { hasErrors } from "../../compiler/diagnostics.js";
import { type BuildOptions, type LoopMode, LOOP_MODES, type ProgramStats } from "../../compiler/build-api.js";
import { MAX_USED_MAPS, VERIFIER_ESTIMATE_FACTOR, VERIFIER_INSN_LIMIT } from "../../compiler/dsl/limits.js";
import { buildSource, sourceKind } from "../../compiler/build.js";
import { readUserFile } from "../../loader/files.js";
import { renderAll, useColor } from "../render.js";

export function register(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command("build")
    .description("compile a TypeScript DSL program (.ts) or assemble BPF assembly (.s) into an ELF object")
    .argument("<file>", "program source: .ts (DSL) or .s/.asm (assembly)")
    .option("-o, --output <file>", "object file to write", "out.o")
    .option("--section-style <style>", "section names: 'tsebpf' writes xdp/<name>, 'libbpf' writes plain xdp", "tsebpf")
    .option("--syntax <syntax>", "assembly dialect: llvm (as llvm-mc) or ubpf", "llvm")
    .option(
      "--loops <mode>",
      "DSL loops: 'auto' real loops with may_goto (kernel >= 6.9) or unrolled by the compiler's rule; " +
        "'real' every loop that can be one a real loop with may_goto; 'bounded' real loops without may_goto " +
        "(kernel >= 5.3); 'unroll' every loop unrolled (any kernel: use it, or 'bounded', for kernels before 6.9)",
      "auto",
    )
    .option("-v, --verbose", "print each DSL program's instruction slots and the verifier-work estimate")
    .action(async (file: string, o: BuildFlags) => {
      const opts = buildOptions(o.sectionStyle, o.syntax, o.loops);
      const text = readUserFile(file).toString("utf8");
      if (!sourceKind(file))
        throw new CliError(`${file}: unknown source kind (expected .ts for the DSL or .s for assembly)`);
      const result = await buildSource(text, file, opts);
      const sources = new Map([[file, text]]);
      if (result.diagnostics.length)
        io.stderr(renderAll(result.diagnostics, { color: useColor(io.env, io.isTTY), sources }));
      if (hasErrors(result.diagnostics) || !result.object) return setExit(1);
      writeFileSync(o.output, result.object);
      if (o.verbose) for (const st of result.stats ?? []) io.stdout(statsLine(st));
    });
}

interface BuildFlags {
  output: string;
  sectionStyle: string;
  syntax: string;
  loops: string;
  verbose?: boolean;
}

/** `xdp_fw: 120 instruction slots; the verifier checks about 340 instructions (estimated; limit …); 2 maps`;
 * a global function's line says it is verified on its own. */
function statsLine(st: ProgramStats): string {
  const limit = `limit ${VERIFIER_INSN_LIMIT}, refused above ${VERIFIER_INSN_LIMIT / VERIFIER_ESTIMATE_FACTOR}`;
  const name = st.global ? `${st.name} (global function, verified on its own)` : st.name;
  const maps = `${st.maps} map${st.maps === 1 ? "" : "s"} of ${MAX_USED_MAPS}`;
  return `${name}: ${st.slots} instruction slots; the verifier checks about ${st.verifierEstimate} instructions (estimated; ${limit}); ${maps}\n`;
}

export function buildOptions(sectionStyle: string, syntax = "llvm", loops = "auto"): BuildOptions {
  if (sectionStyle !== "tsebpf" && sectionStyle !== "libbpf")
    throw new CliError(`--section-style must be 'tsebpf' or 'libbpf', not '${sectionStyle}'`);
  if (syntax !== "llvm" && syntax !== "ubpf") throw new CliError(`--syntax must be 'llvm' or 'ubpf', not '${syntax}'`);
  if (!(LOOP_MODES as readonly string[]).includes(loops))
    throw new CliError(`--loops must be ${LOOP_MODES.map((m) => `'${m}'`).join(", ")}, not '${loops}'`);
  return { sectionStyle, syntax, loops: loops as LoopMode };
}

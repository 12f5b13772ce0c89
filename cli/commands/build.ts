// `tsebpf build <file.ts|file.s>`: compile a DSL program or assemble a .s file into an ELF object
// (out.o unless -o). Diagnostics (at most 100) go to the renderer; on error no object is written.
import type { Command } from "commander";
import { readFileSync, writeFileSync } from "node:fs";
import type { Io } from "../io.js";
import { CliError } from "../io.js";
import { DiagnosticError, capDiagnostics, hasErrors } from "../../compiler/diagnostics.js";
import type { BuildFn, BuildOptions, BuildResult } from "../../compiler/build-api.js";
import { renderAll, useColor } from "../render.js";

export function register(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command("build")
    .description("compile a TypeScript DSL program (.ts) or assemble BPF assembly (.s) into an ELF object")
    .argument("<file>", "program source: .ts (DSL) or .s/.asm (assembly)")
    .option("-o, --output <file>", "object file to write", "out.o")
    .option("--section-style <style>", "section names: 'tsebpf' writes xdp/<name>, 'libbpf' writes plain xdp", "tsebpf")
    .option("--syntax <syntax>", "assembly dialect: llvm (as llvm-mc) or ubpf", "llvm")
    .action(async (file: string, o: { output: string; sectionStyle: string; syntax: string }) => {
      const opts = buildOptions(o.sectionStyle, o.syntax);
      const text = readSource(file);
      const result = await buildSource(text, file, opts);
      const sources = new Map([[file, text]]);
      if (result.diagnostics.length) io.stderr(renderAll(result.diagnostics, { color: useColor(io.env, io.isTTY), sources }));
      if (hasErrors(result.diagnostics) || !result.object) return setExit(1);
      writeFileSync(o.output, result.object);
    });
}

export function buildOptions(sectionStyle: string, syntax = "llvm"): BuildOptions {
  if (sectionStyle !== "tsebpf" && sectionStyle !== "libbpf") throw new CliError(`--section-style must be 'tsebpf' or 'libbpf', not '${sectionStyle}'`);
  if (syntax !== "llvm" && syntax !== "ubpf") throw new CliError(`--syntax must be 'llvm' or 'ubpf', not '${syntax}'`);
  return { sectionStyle, syntax };
}

export function readSource(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new CliError(`${file}: ${err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "is a directory" : err.message}`);
  }
}

/** Build a .ts or .s source in memory; also used by `run` and `test`. */
export async function buildSource(text: string, file: string, opts: BuildOptions): Promise<BuildResult> {
  const fn = await frontEnd(file);
  const r = fn(text, file, opts);
  return { ...r, diagnostics: capDiagnostics(r.diagnostics) };
}

async function frontEnd(file: string): Promise<BuildFn> {
  if (/\.(ts|mts)$/.test(file)) return (await import("../../compiler/dsl/index.js")).compileToObject;
  if (/\.(s|S|asm)$/.test(file)) return (await import("../../compiler/asm/index.js")).assembleToObject;
  throw new CliError(`${file}: unknown source kind (expected .ts for the DSL or .s for assembly)`);
}

/** Build or throw DiagnosticError. */
export async function buildOrThrow(text: string, file: string, opts: BuildOptions): Promise<Uint8Array> {
  const r = await buildSource(text, file, opts);
  if (hasErrors(r.diagnostics) || !r.object) throw new DiagnosticError(r.diagnostics, new Map([[file, text]]));
  return r.object;
}

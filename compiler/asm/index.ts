// The assembler's entry point: `assembleToObject: BuildFn` takes .s text (LLVM syntax, or the
// ubpf dialect with `syntax: "ubpf"`) and produces an ELF object via writeElf, or diagnostics
// through the one emitter (a file with neither instructions nor data is an error).
import type { BuildFn, BuildOptions, BuildResult } from "../build-api.js";
import { emitDiagnostics, error } from "../diagnostics.js";
import type { ElfInput } from "../elf/sections.js";
import { writeElf } from "../elf/write-elf.js";
import { assembleLlvm } from "./assemble.js";
import { ubpfToElf } from "./ubpf.js";
import { ASM_CODES as ASM } from "../codes.js";

export { assembleLlvm } from "./assemble.js";
export { parseUbpf } from "./ubpf.js";

export const assembleToObject: BuildFn = (text, file, opts) => {
  const r = assemble(text, file, opts);
  return { ...r, diagnostics: emitDiagnostics(r.diagnostics, new Map([[file, text]])) };
};

function assemble(text: string, file: string, opts: BuildOptions): BuildResult {
  const r = opts.syntax === "ubpf" ? ubpfToElf(text, file, opts) : assembleLlvm(text, file);
  if (!r.elf || r.diagnostics.some((d) => d.severity === "error")) return { diagnostics: r.diagnostics };
  if (isEmpty(r.elf))
    return {
      diagnostics: [
        ...r.diagnostics,
        error(ASM.empty, "empty file: no instructions and no data", { file, line: 1, col: 1, offset: 0, length: 0 }),
      ],
    };
  return { object: writeElf(r.elf), diagnostics: r.diagnostics };
}

function isEmpty(elf: ElfInput): boolean {
  return elf.sections.every((s) => s.data.length === 0 && !s.size);
}

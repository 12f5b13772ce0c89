// The assembler's entry point: `assembleToObject: BuildFn` takes .s text (LLVM syntax, or the
// ubpf dialect with `syntax: "ubpf"`) and produces an ELF object via writeElf, or diagnostics.
import type { BuildFn } from "../build-api.js";
import { writeElf } from "../elf/write-elf.js";
import { assembleLlvm } from "./assemble.js";
import { ubpfToElf } from "./ubpf.js";

export { assembleLlvm } from "./assemble.js";
export { parseUbpf } from "./ubpf.js";

export const assembleToObject: BuildFn = (text, file, opts) => {
  const r = opts.syntax === "ubpf" ? ubpfToElf(text, file, opts) : assembleLlvm(text, file);
  if (!r.elf || r.diagnostics.some((d) => d.severity === "error")) return { diagnostics: r.diagnostics };
  return { object: writeElf(r.elf), diagnostics: r.diagnostics };
};

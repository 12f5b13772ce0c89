// Placeholder: the assembler issue replaces this.
import type { BuildFn } from "../build-api.js";
export const assembleToObject: BuildFn = () => ({ diagnostics: [{ code: "ASM000", severity: "error", message: "the assembler is not implemented yet" }] });

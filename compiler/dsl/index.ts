// Placeholder: the DSL issue replaces this.
import type { BuildFn } from "../build-api.js";
export const compileToObject: BuildFn = () => ({ diagnostics: [{ code: "TS0000", severity: "error", message: "the DSL compiler is not implemented yet" }] });

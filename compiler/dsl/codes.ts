// Diagnostics of the DSL by code name (the codes themselves are in compiler/codes.ts, the one
// registry): `diag(name, message, span)`, and the constructs the parser accepts only to reject them.
// Messages follow tsc's style.
import type { Span } from "../span.js";
import type { Diagnostic, Note } from "../diagnostics.js";
import { error } from "../diagnostics.js";
import { DSL_CODES, type DslCode } from "../codes.js";

export type CodeName = DslCode;

export function diag(code: CodeName, message: string, span?: Span, notes?: Note[]): Diagnostic {
  return error(DSL_CODES[code], message, span, notes);
}

/** Constructs the parser accepts only to reject them here: key → code and message. */
export const UNSUPPORTED: Record<string, { code: CodeName; message: string }> = {
  class: { code: "classes", message: "Classes are not supported; use functions and maps." },
  arrow: { code: "closures", message: "Arrow functions (closures) are not supported; declare a top-level function." },
  "function-expr": {
    code: "closures",
    message: "Function expressions (closures) are not supported; declare a top-level function.",
  },
  "nested-function": {
    code: "closures",
    message: "Nested functions (closures) are not supported; declare the function at top level.",
  },
  async: { code: "async", message: "Async functions are not supported." },
  await: { code: "async", message: "'await' is not supported." },
  "for-of": {
    code: "unsupported",
    message: "Write 'for (const x of array)': one variable, no initial value.",
  },
  "non-null": { code: "unsupported", message: "Non-null assertions ('!') are not allowed; compare with null instead." },
  "optional-chain": {
    code: "unsupported",
    message: "Optional chaining ('?.') is not supported; compare with null first.",
  },
  float: { code: "unsupported", message: "Floating-point numbers are not supported; use integers." },
  this: { code: "unsupported", message: "'this' is not supported." },
  typeof: { code: "unsupported", message: "'typeof' is not supported." },
  void: { code: "unsupported", message: "The 'void' operator is not supported." },
  throw: { code: "unsupported", message: "'throw' is not supported; return XdpAction.Aborted instead." },
  try: { code: "unsupported", message: "'try' is not supported." },
  interface: { code: "unsupported", message: "Interfaces (struct types) must be declared at top level." },
  enum: { code: "unsupported", message: "Enums are not supported; use constants." },
  "type-alias": {
    code: "unsupported",
    message: "Type aliases are only supported for object types at top level: type Name = { … }.",
  },
  "assignment-expr": { code: "unsupported", message: "Assignments are only allowed as statements." },
  "update-expr": { code: "unsupported", message: "'++' and '--' are only allowed as statements." },
  "comma-expr": { code: "unsupported", message: "Comma expressions are not supported." },
  var: { code: "varKeyword", message: "'var' is not supported; use 'let' or 'const'." },
  "top-level-statement": {
    code: "topLevel",
    message: "Only imports, maps, constants, global variables and functions may appear at top level.",
  },
  "new-expr": {
    code: "mapDecl",
    message: "'new' is only allowed in a top-level map declaration 'export const M = new HashMap<K, V>(n);'.",
  },
  spread: { code: "unsupported", message: "Spread syntax is not supported." },
};

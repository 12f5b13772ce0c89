// Diagnostic codes of the DSL front end: TypeScript's own codes where tsc reports the same problem
// (so users can search them), TSB9xxx for rules of the DSL subset. Messages follow tsc's style.
import type { Span } from "../span.js";
import type { Diagnostic, Note } from "../diagnostics.js";
import { error } from "../diagnostics.js";

export const CODES = {
  // syntax (tsc)
  expected: "TS1005", // "';' expected."
  identifierExpected: "TS1003",
  expressionExpected: "TS1109",
  declarationExpected: "TS1128",
  invalidCharacter: "TS1127",
  unterminatedString: "TS1002",
  unterminatedTemplate: "TS1160",
  // semantics (tsc)
  cannotFindName: "TS2304",
  noExportedMember: "TS2305",
  notAssignable: "TS2322",
  propertyMissing: "TS2339",
  notCallable: "TS2349",
  operatorTypes: "TS2365",
  noOverlap: "TS2367",
  redeclare: "TS2451",
  argCount: "TS2554",
  constAssign: "TS2588",
  lacksReturn: "TS2366",
  possiblyNull: "TS18047",
  objectPossiblyNull: "TS2531",
  notVariable: "TS2539",
  readOnly: "TS2540",
  typeAsValue: "TS2693",
  implicitAny: "TS7006",
  noValue: "TS1345",
  // DSL rules
  importSource: "TSB9001",
  classes: "TSB9002",
  closures: "TSB9003",
  whileLoop: "TSB9004",
  recursion: "TSB9005",
  callDepth: "TSB9020",
  async: "TSB9006",
  literals: "TSB9007",
  stringValue: "TSB9008",
  anyType: "TSB9009",
  loopBound: "TSB9010",
  programShape: "TSB9011",
  unsupported: "TSB9012",
  mapDecl: "TSB9013",
  logArg: "TSB9014",
  headerArg: "TSB9015",
  noProgram: "TSB9016",
  topLevel: "TSB9017",
  varKeyword: "TSB9018",
  constantExpr: "TSB9019",
  intRule: "TSB9030", // integer rule (int-rule.ts): u64 vs signed comparisons, shift counts
} as const;

export type CodeName = keyof typeof CODES;

export function diag(code: CodeName, message: string, span?: Span, notes?: Note[]): Diagnostic {
  return error(CODES[code], message, span, notes);
}

/** Constructs the parser accepts only to reject them here: key → code and message. */
export const UNSUPPORTED: Record<string, { code: CodeName; message: string }> = {
  class: { code: "classes", message: "Classes are not supported; use functions and maps." },
  arrow: { code: "closures", message: "Arrow functions (closures) are not supported; declare a top-level function." },
  "function-expr": { code: "closures", message: "Function expressions (closures) are not supported; declare a top-level function." },
  "nested-function": { code: "closures", message: "Nested functions (closures) are not supported; declare the function at top level." },
  while: { code: "whileLoop", message: "'while' loops are not supported; use a bounded loop 'for (let i = 0; i < N; i++)'." },
  "do-while": { code: "whileLoop", message: "'do ... while' loops are not supported; use a bounded loop 'for (let i = 0; i < N; i++)'." },
  async: { code: "async", message: "Async functions are not supported." },
  await: { code: "async", message: "'await' is not supported." },
  "object-literal": { code: "literals", message: "Object literals are not supported." },
  "array-literal": { code: "literals", message: "Array literals are not supported." },
  index: { code: "literals", message: "Indexing with '[]' is not supported." },
  "non-null": { code: "unsupported", message: "Non-null assertions ('!') are not allowed; compare with null instead." },
  "optional-chain": { code: "unsupported", message: "Optional chaining ('?.') is not supported; compare with null first." },
  float: { code: "unsupported", message: "Floating-point numbers are not supported; use integers." },
  this: { code: "unsupported", message: "'this' is not supported." },
  typeof: { code: "unsupported", message: "'typeof' is not supported." },
  void: { code: "unsupported", message: "The 'void' operator is not supported." },
  break: { code: "unsupported", message: "'break' is not supported; return early instead." },
  continue: { code: "unsupported", message: "'continue' is not supported; use 'if' instead." },
  throw: { code: "unsupported", message: "'throw' is not supported; return XdpAction.Aborted instead." },
  switch: { code: "unsupported", message: "'switch' is not supported yet; use 'if'/'else'." },
  try: { code: "unsupported", message: "'try' is not supported." },
  interface: { code: "unsupported", message: "Interfaces are not supported." },
  enum: { code: "unsupported", message: "Enums are not supported; use constants." },
  "type-alias": { code: "unsupported", message: "Type aliases are not supported." },
  "assignment-expr": { code: "unsupported", message: "Assignments are only allowed as statements." },
  "update-expr": { code: "unsupported", message: "'++' and '--' are only allowed as statements." },
  "comma-expr": { code: "unsupported", message: "Comma expressions are not supported." },
  var: { code: "varKeyword", message: "'var' is not supported; use 'let' or 'const'." },
  "top-level-statement": { code: "topLevel", message: "Only imports, maps, constants and functions may appear at top level." },
  "top-level-let": { code: "topLevel", message: "Global variables are not supported; use a map or a 'const'." },
  "new-expr": { code: "mapDecl", message: "'new' is only allowed in a top-level map declaration 'export const M = new HashMap<K, V>(n);'." },
  "spread": { code: "unsupported", message: "Spread syntax is not supported." },
};

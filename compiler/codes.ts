// Every diagnostic code the compiler reports, defined once: the DSL front end (TypeScript's own
// codes where tsc reports the same problem, so users can search them; TSB90xx for rules of the DSL
// subset), the DSL back end (TSB95xx: limits and lowering) and the assembler (ASM0xx for LLVM
// syntax, ASM1xx for the ubpf dialect). docs/diagnostics.md says what each means;
// test/diagnostic-codes.test.ts keeps this table, the docs and the producers in step.
// Takes nothing; produces name → code tables.

export const DSL_CODES = {
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
  breakOutside: "TS1105", // break outside a loop or switch
  continueOutside: "TS1104", // continue outside a loop
  breakLabel: "TS1116", // break to a label no enclosing statement has
  continueLabel: "TS1115", // continue to a label no enclosing loop has
  duplicateLabel: "TS1114",
  duplicateDefault: "TS1113",
  notVariable: "TS2539",
  readOnly: "TS2540",
  unknownProperty: "TS2353", // an object literal names a field its struct type lacks
  missingProperty: "TS2741", // an object literal leaves out a field
  typeAsValue: "TS2693",
  implicitAny: "TS7006",
  noValue: "TS1345",
  // DSL rules
  importSource: "TSB9001",
  classes: "TSB9002",
  closures: "TSB9003",
  loopStep: "TSB9004", // a while loop's counter not stepped toward its bound on every path
  recursion: "TSB9005",
  callDepth: "TSB9020",
  switchCase: "TSB9021", // a switch on a non-integer, a case that is not a distinct integer constant
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
  // data model: structs, arrays, map value references (check/structs.ts, layout.ts)
  structDecl: "TSB9050",
  objectLiteral: "TSB9051",
  arrayType: "TSB9052",
  indexRange: "TSB9053",
  stackSize: "TSB9054",
  staleRef: "TSB9055",
  // ring-buffer records written in place (check/records.ts)
  recordLeak: "TSB9060", // a reserved record not submitted or discarded on some path
  recordReleased: "TSB9061", // a record used after submit()/discard(), or released twice
  recordRule: "TSB9062", // reserve()/submit()/discard() used outside their shape
  // global variables (check/globals.ts)
  globalDecl: "TSB9063",
  configDecl: "TSB9064",
  readOnlyGlobal: "TSB9065",
  // helpers with struct arguments (check/fib.ts)
  fibParams: "TSB9070",
  // function parameters and global functions (check/checker.ts, inlining.ts)
  viewParam: "TSB9080", // a header view parameter declared nullable
  globalFunction: "TSB9081", // what a global (exported, separately verified) function cannot take or do
  // back end: lowering and the kernel's limits (limits.ts)
  noXdpProgram: "TSB9500",
  lowering: "TSB9501",
  stackLimit: "TSB9502",
  registers: "TSB9503",
  mapLimit: "TSB9504",
  verifierLimit: "TSB9505",
  programSize: "TSB9506", // over MAX_PROGRAM_OPS once inlined and unrolled
  logFormats: "TSB9540",
  internal: "TSB9599",
} as const;

export const ASM_CODES = {
  // LLVM syntax (compiler/asm/assemble.ts, directives.ts, lexer.ts)
  unknownInstruction: "ASM001",
  operand: "ASM002",
  undefinedSymbol: "ASM003",
  directive: "ASM004",
  redefined: "ASM005",
  jumpRange: "ASM006",
  lexical: "ASM007",
  empty: "ASM008",
  // the ubpf dialect (compiler/asm/ubpf.ts)
  ubpfInstruction: "ASM101",
  ubpfOperand: "ASM102",
  ubpfUndefinedLabel: "ASM103",
  ubpfRedefined: "ASM105",
  ubpfJumpRange: "ASM106",
} as const;

export type DslCode = keyof typeof DSL_CODES;
export type AsmCode = (typeof ASM_CODES)[keyof typeof ASM_CODES];

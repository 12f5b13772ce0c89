// tsc's literal types, so that the checker rejects what tsc rejects: takes an operand of `===`,
// `!==`, `==` or `!=` (bindings already resolved) and produces the literal type tsc gives it, as tsc
// prints it ('5', 'true', 'XdpAction.Pass'), or undefined when tsc's type is not a literal. Two
// operands with different literal types are TS2367 in tsc ('const a = 5; a === 0').
import type * as A from "../ast.js";

const MAX_DEPTH = 64;

/** A literal, `-literal`, an XdpAction member, or an unannotated `const` initialised with one. */
export function tscLiteralType(e: A.Expr, depth = 0): string | undefined {
  switch (e.kind) {
    case "IntLiteral":
      return String(e.value);
    case "BoolLiteral":
      return String(e.value);
    case "UnaryExpr":
      return e.op === "-" && e.operand.kind === "IntLiteral" ? String(-e.operand.value) : undefined;
    case "MemberExpr":
      return isXdpAction(e.object) && e.member?.kind === "constant" ? `XdpAction.${e.property}` : undefined;
    case "Identifier": {
      const b = e.binding;
      const decl = b?.kind === "local" && !b.mutable ? b.decl : b?.kind === "const" ? b.decl : undefined;
      return decl && !decl.typeAnn && decl.init && depth < MAX_DEPTH ? tscLiteralType(decl.init, depth + 1) : undefined;
    }
    default:
      return undefined;
  }
}

function isXdpAction(e: A.Expr): boolean {
  return e.kind === "Identifier" && e.binding?.kind === "builtin" && e.binding.name === "XdpAction";
}

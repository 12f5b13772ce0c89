// The DSL's CST node types: generated from grammar.ts by Chevrotain's generateCstDts (see
// test/dsl-cst-types.test.ts; regenerate with UPDATE_FIXTURES=1). Do not edit. Every child is
// optional: error recovery can leave any part of a node out, also one the grammar requires.
import type { CstNode, IToken } from "chevrotain";

export interface ProgramCstNode extends CstNode {
  name: "program";
  children: ProgramCstChildren;
}

export type ProgramCstChildren = {
  topLevel?: TopLevelCstNode[];
};

export interface TopLevelCstNode extends CstNode {
  name: "topLevel";
  children: TopLevelCstChildren;
}

export type TopLevelCstChildren = {
  importDecl?: ImportDeclCstNode[];
  exportDecl?: ExportDeclCstNode[];
  statement?: StatementCstNode[];
};

export interface ImportDeclCstNode extends CstNode {
  name: "importDecl";
  children: ImportDeclCstChildren;
}

export type ImportDeclCstChildren = {
  Import?: IToken[];
  Type?: IToken[];
  LCurly?: IToken[];
  importSpec?: (ImportSpecCstNode)[];
  Comma?: (IToken)[];
  RCurly?: IToken[];
  From?: IToken[];
  StringLit?: IToken[];
  semi?: SemiCstNode[];
};

export interface ImportSpecCstNode extends CstNode {
  name: "importSpec";
  children: ImportSpecCstChildren;
}

export type ImportSpecCstChildren = {
  IdentifierName?: IToken[];
  As?: IToken[];
  Identifier?: IToken[];
};

export interface ExportDeclCstNode extends CstNode {
  name: "exportDecl";
  children: ExportDeclCstChildren;
}

export type ExportDeclCstChildren = {
  Export?: IToken[];
  functionDecl?: FunctionDeclCstNode[];
  varStatement?: VarStatementCstNode[];
  classDecl?: ClassDeclCstNode[];
  otherDecl?: OtherDeclCstNode[];
};

export interface StatementCstNode extends CstNode {
  name: "statement";
  children: StatementCstChildren;
}

export type StatementCstChildren = {
  block?: BlockCstNode[];
  varStatement?: VarStatementCstNode[];
  ifStatement?: IfStatementCstNode[];
  forStatement?: ForStatementCstNode[];
  whileStatement?: WhileStatementCstNode[];
  doStatement?: DoStatementCstNode[];
  returnStatement?: ReturnStatementCstNode[];
  jumpStatement?: JumpStatementCstNode[];
  switchStatement?: SwitchStatementCstNode[];
  labelledStatement?: LabelledStatementCstNode[];
  functionDecl?: FunctionDeclCstNode[];
  classDecl?: ClassDeclCstNode[];
  otherDecl?: OtherDeclCstNode[];
  otherStatement?: OtherStatementCstNode[];
  Semicolon?: IToken[];
  expressionStatement?: ExpressionStatementCstNode[];
};

export interface BlockCstNode extends CstNode {
  name: "block";
  children: BlockCstChildren;
}

export type BlockCstChildren = {
  LCurly?: IToken[];
  statement?: StatementCstNode[];
  RCurly?: IToken[];
};

export interface VarStatementCstNode extends CstNode {
  name: "varStatement";
  children: VarStatementCstChildren;
}

export type VarStatementCstChildren = {
  varDeclList?: VarDeclListCstNode[];
  semi?: SemiCstNode[];
};

export interface VarDeclListCstNode extends CstNode {
  name: "varDeclList";
  children: VarDeclListCstChildren;
}

export type VarDeclListCstChildren = {
  Const?: IToken[];
  Let?: IToken[];
  Var?: IToken[];
  varDeclarator?: VarDeclaratorCstNode[];
  Comma?: IToken[];
};

export interface VarDeclaratorCstNode extends CstNode {
  name: "varDeclarator";
  children: VarDeclaratorCstChildren;
}

export type VarDeclaratorCstChildren = {
  Identifier?: IToken[];
  Colon?: IToken[];
  typeRef?: TypeRefCstNode[];
  Equals?: IToken[];
  assignment?: AssignmentCstNode[];
};

export interface IfStatementCstNode extends CstNode {
  name: "ifStatement";
  children: IfStatementCstChildren;
}

export type IfStatementCstChildren = {
  If?: IToken[];
  LParen?: IToken[];
  expression?: ExpressionCstNode[];
  RParen?: IToken[];
  statement?: (StatementCstNode)[];
  Else?: IToken[];
};

export interface ForStatementCstNode extends CstNode {
  name: "forStatement";
  children: ForStatementCstChildren;
}

export type ForStatementCstChildren = {
  For?: IToken[];
  LParen?: IToken[];
  varDeclList?: VarDeclListCstNode[];
  expression?: ExpressionCstNode[];
  of?: IToken[];
  iterable?: ExpressionCstNode[];
  Semicolon?: (IToken)[];
  test?: ExpressionCstNode[];
  update?: ExpressionCstNode[];
  RParen?: IToken[];
  statement?: StatementCstNode[];
};

export interface WhileStatementCstNode extends CstNode {
  name: "whileStatement";
  children: WhileStatementCstChildren;
}

export type WhileStatementCstChildren = {
  While?: IToken[];
  LParen?: IToken[];
  expression?: ExpressionCstNode[];
  RParen?: IToken[];
  statement?: StatementCstNode[];
};

export interface DoStatementCstNode extends CstNode {
  name: "doStatement";
  children: DoStatementCstChildren;
}

export type DoStatementCstChildren = {
  Do?: IToken[];
  statement?: StatementCstNode[];
  While?: IToken[];
  LParen?: IToken[];
  expression?: ExpressionCstNode[];
  RParen?: IToken[];
  semi?: SemiCstNode[];
};

export interface ReturnStatementCstNode extends CstNode {
  name: "returnStatement";
  children: ReturnStatementCstChildren;
}

export type ReturnStatementCstChildren = {
  Return?: IToken[];
  expression?: ExpressionCstNode[];
  semi?: SemiCstNode[];
};

export interface JumpStatementCstNode extends CstNode {
  name: "jumpStatement";
  children: JumpStatementCstChildren;
}

export type JumpStatementCstChildren = {
  Break?: IToken[];
  Continue?: IToken[];
  label?: IToken[];
  Throw?: IToken[];
  expression?: ExpressionCstNode[];
  semi?: SemiCstNode[];
};

export interface LabelledStatementCstNode extends CstNode {
  name: "labelledStatement";
  children: LabelledStatementCstChildren;
}

export type LabelledStatementCstChildren = {
  Identifier?: IToken[];
  Colon?: IToken[];
  statement?: StatementCstNode[];
};

export interface SwitchStatementCstNode extends CstNode {
  name: "switchStatement";
  children: SwitchStatementCstChildren;
}

export type SwitchStatementCstChildren = {
  Switch?: IToken[];
  LParen?: IToken[];
  expression?: ExpressionCstNode[];
  RParen?: IToken[];
  LCurly?: IToken[];
  caseClause?: CaseClauseCstNode[];
  RCurly?: IToken[];
};

export interface CaseClauseCstNode extends CstNode {
  name: "caseClause";
  children: CaseClauseCstChildren;
}

export type CaseClauseCstChildren = {
  Case?: IToken[];
  expression?: ExpressionCstNode[];
  Default?: IToken[];
  Colon?: IToken[];
  statement?: StatementCstNode[];
};

export interface OtherStatementCstNode extends CstNode {
  name: "otherStatement";
  children: OtherStatementCstChildren;
}

export type OtherStatementCstChildren = {
  Try?: IToken[];
  NotBrace?: (IToken)[];
  braced?: (BracedCstNode)[];
  Identifier?: IToken[];
};

export interface OtherDeclCstNode extends CstNode {
  name: "otherDecl";
  children: OtherDeclCstChildren;
}

export type OtherDeclCstChildren = {
  Interface?: IToken[];
  Identifier?: (IToken)[];
  objectType?: ObjectTypeCstNode[];
  Enum?: IToken[];
  braced?: BracedCstNode[];
  Type?: IToken[];
  Equals?: IToken[];
  typeRef?: TypeRefCstNode[];
  semi?: SemiCstNode[];
};

export interface ObjectTypeCstNode extends CstNode {
  name: "objectType";
  children: ObjectTypeCstChildren;
}

export type ObjectTypeCstChildren = {
  LCurly?: IToken[];
  IdentifierName?: IToken[];
  Question?: IToken[];
  Colon?: IToken[];
  typeRef?: TypeRefCstNode[];
  Semicolon?: IToken[];
  Comma?: IToken[];
  RCurly?: IToken[];
};

export interface ClassDeclCstNode extends CstNode {
  name: "classDecl";
  children: ClassDeclCstChildren;
}

export type ClassDeclCstChildren = {
  Class?: IToken[];
  Identifier?: IToken[];
  NotBrace?: IToken[];
  braced?: BracedCstNode[];
};

export interface BracedCstNode extends CstNode {
  name: "braced";
  children: BracedCstChildren;
}

export type BracedCstChildren = {
  LCurly?: IToken[];
  braced?: BracedCstNode[];
  NotBrace?: IToken[];
  RCurly?: IToken[];
};

export interface FunctionDeclCstNode extends CstNode {
  name: "functionDecl";
  children: FunctionDeclCstChildren;
}

export type FunctionDeclCstChildren = {
  Async?: IToken[];
  Function?: IToken[];
  Identifier?: IToken[];
  paramList?: ParamListCstNode[];
  Colon?: IToken[];
  typeRef?: TypeRefCstNode[];
  block?: BlockCstNode[];
};

export interface ParamListCstNode extends CstNode {
  name: "paramList";
  children: ParamListCstChildren;
}

export type ParamListCstChildren = {
  LParen?: IToken[];
  param?: ParamCstNode[];
  Comma?: IToken[];
  RParen?: IToken[];
};

export interface ParamCstNode extends CstNode {
  name: "param";
  children: ParamCstChildren;
}

export type ParamCstChildren = {
  Identifier?: IToken[];
  Colon?: IToken[];
  typeRef?: TypeRefCstNode[];
};

export interface ExpressionStatementCstNode extends CstNode {
  name: "expressionStatement";
  children: ExpressionStatementCstChildren;
}

export type ExpressionStatementCstChildren = {
  expression?: ExpressionCstNode[];
  semi?: SemiCstNode[];
};

export interface SemiCstNode extends CstNode {
  name: "semi";
  children: SemiCstChildren;
}

export type SemiCstChildren = {
  Semicolon?: IToken[];
};

export interface ExpressionCstNode extends CstNode {
  name: "expression";
  children: ExpressionCstChildren;
}

export type ExpressionCstChildren = {
  assignment?: AssignmentCstNode[];
};

export interface AssignmentCstNode extends CstNode {
  name: "assignment";
  children: AssignmentCstChildren;
}

export type AssignmentCstChildren = {
  conditional?: ConditionalCstNode[];
  AssignOperator?: IToken[];
  assignment?: AssignmentCstNode[];
};

export interface ConditionalCstNode extends CstNode {
  name: "conditional";
  children: ConditionalCstChildren;
}

export type ConditionalCstChildren = {
  binary?: BinaryCstNode[];
  Question?: IToken[];
  then?: AssignmentCstNode[];
  Colon?: IToken[];
  else?: AssignmentCstNode[];
};

export interface BinaryCstNode extends CstNode {
  name: "binary";
  children: BinaryCstChildren;
}

export type BinaryCstChildren = {
  unary?: (UnaryCstNode)[];
  BinaryOperator?: IToken[];
  As?: IToken[];
  typeRef?: TypeRefCstNode[];
};

export interface UnaryCstNode extends CstNode {
  name: "unary";
  children: UnaryCstChildren;
}

export type UnaryCstChildren = {
  Bang?: IToken[];
  Minus?: IToken[];
  Plus?: IToken[];
  Tilde?: IToken[];
  Typeof?: IToken[];
  Void?: IToken[];
  Await?: IToken[];
  PlusPlus?: IToken[];
  MinusMinus?: IToken[];
  unary?: UnaryCstNode[];
  postfix?: PostfixCstNode[];
};

export interface PostfixCstNode extends CstNode {
  name: "postfix";
  children: PostfixCstChildren;
}

export type PostfixCstChildren = {
  callMember?: CallMemberCstNode[];
  PlusPlus?: IToken[];
  MinusMinus?: IToken[];
};

export interface CallMemberCstNode extends CstNode {
  name: "callMember";
  children: CallMemberCstChildren;
}

export type CallMemberCstChildren = {
  primary?: PrimaryCstNode[];
  Dot?: IToken[];
  IdentifierName?: (IToken)[];
  QuestionDot?: IToken[];
  args?: ArgsCstNode[];
  typeArgs?: TypeArgsCstNode[];
  LBracket?: IToken[];
  expression?: ExpressionCstNode[];
  RBracket?: IToken[];
  Bang?: IToken[];
};

export interface ArgsCstNode extends CstNode {
  name: "args";
  children: ArgsCstChildren;
}

export type ArgsCstChildren = {
  LParen?: IToken[];
  assignment?: (AssignmentCstNode)[];
  Comma?: (IToken)[];
  RParen?: IToken[];
};

export interface PrimaryCstNode extends CstNode {
  name: "primary";
  children: PrimaryCstChildren;
}

export type PrimaryCstChildren = {
  NumberLiteral?: IToken[];
  StringLit?: IToken[];
  template?: TemplateCstNode[];
  True?: IToken[];
  False?: IToken[];
  Null?: IToken[];
  This?: IToken[];
  arrowOrIdent?: ArrowOrIdentCstNode[];
  parenOrArrow?: ParenOrArrowCstNode[];
  newExpr?: NewExprCstNode[];
  arrayLiteral?: ArrayLiteralCstNode[];
  objectLiteral?: ObjectLiteralCstNode[];
  functionExpr?: FunctionExprCstNode[];
};

export interface TemplateCstNode extends CstNode {
  name: "template";
  children: TemplateCstChildren;
}

export type TemplateCstChildren = {
  TemplateNoSub?: IToken[];
  TemplateHead?: IToken[];
  expression?: (ExpressionCstNode)[];
  TemplateMiddle?: IToken[];
  TemplateTail?: IToken[];
};

export interface ArrowOrIdentCstNode extends CstNode {
  name: "arrowOrIdent";
  children: ArrowOrIdentCstChildren;
}

export type ArrowOrIdentCstChildren = {
  Identifier?: IToken[];
  Arrow?: IToken[];
  arrowBody?: ArrowBodyCstNode[];
};

export interface ParenOrArrowCstNode extends CstNode {
  name: "parenOrArrow";
  children: ParenOrArrowCstChildren;
}

export type ParenOrArrowCstChildren = {
  LParen?: IToken[];
  assignment?: AssignmentCstNode[];
  Colon?: IToken[];
  typeRef?: TypeRefCstNode[];
  Comma?: IToken[];
  RParen?: IToken[];
  Arrow?: IToken[];
  arrowBody?: ArrowBodyCstNode[];
};

export interface ArrowBodyCstNode extends CstNode {
  name: "arrowBody";
  children: ArrowBodyCstChildren;
}

export type ArrowBodyCstChildren = {
  block?: BlockCstNode[];
  assignment?: AssignmentCstNode[];
};

export interface FunctionExprCstNode extends CstNode {
  name: "functionExpr";
  children: FunctionExprCstChildren;
}

export type FunctionExprCstChildren = {
  Function?: IToken[];
  Identifier?: IToken[];
  paramList?: ParamListCstNode[];
  Colon?: IToken[];
  typeRef?: TypeRefCstNode[];
  block?: BlockCstNode[];
};

export interface NewExprCstNode extends CstNode {
  name: "newExpr";
  children: NewExprCstChildren;
}

export type NewExprCstChildren = {
  New?: IToken[];
  Identifier?: IToken[];
  typeArgs?: TypeArgsCstNode[];
  args?: ArgsCstNode[];
};

export interface ArrayLiteralCstNode extends CstNode {
  name: "arrayLiteral";
  children: ArrayLiteralCstChildren;
}

export type ArrayLiteralCstChildren = {
  LBracket?: IToken[];
  assignment?: (AssignmentCstNode)[];
  Comma?: (IToken)[];
  RBracket?: IToken[];
};

export interface ObjectLiteralCstNode extends CstNode {
  name: "objectLiteral";
  children: ObjectLiteralCstChildren;
}

export type ObjectLiteralCstChildren = {
  LCurly?: IToken[];
  property?: (PropertyCstNode)[];
  Comma?: (IToken)[];
  RCurly?: IToken[];
};

export interface PropertyCstNode extends CstNode {
  name: "property";
  children: PropertyCstChildren;
}

export type PropertyCstChildren = {
  Ellipsis?: IToken[];
  spread?: AssignmentCstNode[];
  IdentifierName?: IToken[];
  Colon?: IToken[];
  assignment?: AssignmentCstNode[];
};

export interface TypeArgsCstNode extends CstNode {
  name: "typeArgs";
  children: TypeArgsCstChildren;
}

export type TypeArgsCstChildren = {
  Less?: IToken[];
  typeRef?: TypeRefCstNode[];
  Comma?: IToken[];
  Greater?: IToken[];
};

export interface TypeRefCstNode extends CstNode {
  name: "typeRef";
  children: TypeRefCstChildren;
}

export type TypeRefCstChildren = {
  typeAtom?: TypeAtomCstNode[];
  OtherBinaryOp?: IToken[];
};

export interface TypeAtomCstNode extends CstNode {
  name: "typeAtom";
  children: TypeAtomCstChildren;
}

export type TypeAtomCstChildren = {
  Identifier?: IToken[];
  Null?: IToken[];
  Void?: IToken[];
  NumberLiteral?: IToken[];
  objectType?: ObjectTypeCstNode[];
  typeArgs?: TypeArgsCstNode[];
  LBracket?: IToken[];
  RBracket?: IToken[];
};

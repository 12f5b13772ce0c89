// The DSL grammar: a pure Chevrotain CstParser (no embedded actions) over lexer.ts tokens,
// producing a CST with error recovery. Built once per process, lazily (getParser()).
// Binary operators are parsed flat (`unary (op unary)*`); cst-to-ast.ts applies precedence.
// Unsupported TypeScript (class, while, arrow functions, enums, ...) is parsed loosely
// so that the checker can point at it with a clear message instead of a syntax error.
import type * as Chev from "chevrotain";
import { chevrotain, onFirstUse, parserConfig } from "./chevrotain.js";
import * as T from "./lexer.js";
import type { ProgramCstNode } from "./cst.js";

const { CstParser, defaultParserErrorProvider, MismatchedTokenException } = chevrotain;
type MismatchOpts = Parameters<Chev.IParserErrorMessageProvider["buildMismatchTokenMessage"]>[0];

/** Chevrotain's messages, recording for each mismatched token which token type was expected (the
 * diagnostics are made from that, never from the message text). Each record is made right before
 * Chevrotain saves its MismatchedTokenException, so records and exceptions pair up in order. */
class MismatchRecorder implements Chev.IParserErrorMessageProvider {
  records: { token: Chev.IToken; expected: Chev.TokenType }[] = [];
  buildMismatchTokenMessage(o: MismatchOpts): string {
    this.records.push({ token: o.actual, expected: o.expected });
    return defaultParserErrorProvider.buildMismatchTokenMessage(o);
  }
  buildNotAllInputParsedMessage = defaultParserErrorProvider.buildNotAllInputParsedMessage;
  buildNoViableAltMessage = defaultParserErrorProvider.buildNoViableAltMessage;
  buildEarlyExitMessage = defaultParserErrorProvider.buildEarlyExitMessage;
}

/** An ASI failure: a statement needed a `;` (no newline, `}` or end of file follows). */
export interface SemiError {
  token: Chev.IToken;
  previous: Chev.IToken;
}

export class DslParser extends CstParser {
  semiErrors: SemiError[] = [];
  private mismatches: MismatchRecorder;

  constructor(validate: boolean, recover = true) {
    const mismatches = new MismatchRecorder();
    super(T.allTokens, { ...parserConfig(validate, recover, 1), errorMessageProvider: mismatches });
    this.mismatches = mismatches;
    this.performSelfAnalysis();
  }

  /** Parses a program; its syntax errors are then in `errors` and `semiErrors`. */
  parse(tokens: Chev.IToken[]): ProgramCstNode {
    this.semiErrors = [];
    this.mismatches.records = [];
    this.input = tokens;
    return this.program() as ProgramCstNode;
  }

  /** The token type each MismatchedTokenException of the last parse expected. */
  expectedTokens(): Map<Chev.IRecognitionException, Chev.TokenType> {
    const out = new Map<Chev.IRecognitionException, Chev.TokenType>();
    const records = this.mismatches.records;
    let i = 0;
    for (const e of this.errors) {
      if (!(e instanceof MismatchedTokenException)) continue;
      const r = records[i++];
      if (r?.token === e.token) out.set(e, r.expected);
    }
    return out;
  }

  /** Parsing stops after this many syntax errors (garbage input must not cost more). */
  static readonly MAX_ERRORS = 100;
  private underErrorLimit = (): boolean => this.errors.length < DslParser.MAX_ERRORS;

  program = this.RULE("program", () => {
    this.MANY({ GATE: this.underErrorLimit, DEF: () => this.SUBRULE(this.topLevel) });
  });

  topLevel = this.RULE("topLevel", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.importDecl) },
      { ALT: () => this.SUBRULE(this.exportDecl) },
      { ALT: () => this.SUBRULE(this.statement) },
    ]);
  });

  importDecl = this.RULE("importDecl", () => {
    this.CONSUME(T.Import);
    this.OPTION(() => this.CONSUME(T.Type));
    this.CONSUME(T.LCurly);
    this.commaList(this.importSpec, T.RCurly);
    this.CONSUME(T.RCurly);
    this.CONSUME(T.From);
    this.CONSUME(T.StringLit);
    this.SUBRULE(this.semi);
  });

  importSpec = this.RULE("importSpec", () => {
    this.CONSUME(T.IdentifierName);
    this.OPTION(() => {
      this.CONSUME(T.As);
      this.CONSUME(T.Identifier);
    });
  });

  exportDecl = this.RULE("exportDecl", () => {
    this.CONSUME(T.Export);
    this.OR([
      { ALT: () => this.SUBRULE(this.functionDecl) },
      { ALT: () => this.SUBRULE(this.varStatement) },
      { ALT: () => this.SUBRULE(this.classDecl) },
      { ALT: () => this.SUBRULE(this.otherDecl) },
    ]);
  });

  statement = this.RULE("statement", () => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        { ALT: () => this.SUBRULE(this.block) },
        { ALT: () => this.SUBRULE(this.varStatement) },
        { ALT: () => this.SUBRULE(this.ifStatement) },
        { ALT: () => this.SUBRULE(this.forStatement) },
        { ALT: () => this.SUBRULE(this.whileStatement) },
        { ALT: () => this.SUBRULE(this.doStatement) },
        { ALT: () => this.SUBRULE(this.returnStatement) },
        { ALT: () => this.SUBRULE(this.jumpStatement) },
        { ALT: () => this.SUBRULE(this.switchStatement) },
        {
          GATE: () => this.LA(1).tokenType === T.Identifier && this.LA(2).tokenType === T.Colon,
          ALT: () => this.SUBRULE(this.labelledStatement),
        },
        // `async` and `type` are also names (`type = 1;`): declarations only when followed by one
        {
          GATE: () => this.LA(1).tokenType !== T.Async || this.LA(2).tokenType === T.Function,
          ALT: () => this.SUBRULE(this.functionDecl),
        },
        { ALT: () => this.SUBRULE(this.classDecl) },
        {
          GATE: () => this.LA(1).tokenType !== T.Type || this.LA(2).tokenType === T.Identifier,
          ALT: () => this.SUBRULE(this.otherDecl),
        },
        { ALT: () => this.SUBRULE(this.otherStatement) },
        { ALT: () => this.CONSUME(T.Semicolon) },
        { ALT: () => this.SUBRULE(this.expressionStatement) },
      ],
    });
  });

  block = this.RULE("block", () => {
    this.CONSUME(T.LCurly);
    this.MANY({ GATE: this.underErrorLimit, DEF: () => this.SUBRULE(this.statement) });
    this.CONSUME(T.RCurly);
  });

  varStatement = this.RULE("varStatement", () => {
    this.SUBRULE(this.varDeclList);
    this.SUBRULE(this.semi);
  });

  varDeclList = this.RULE("varDeclList", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Const) },
      { ALT: () => this.CONSUME(T.Let) },
      { ALT: () => this.CONSUME(T.Var) },
    ]);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.varDeclarator) });
  });

  varDeclarator = this.RULE("varDeclarator", () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.SUBRULE(this.typeRef);
    });
    this.OPTION2(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.assignment);
    });
  });

  ifStatement = this.RULE("ifStatement", () => {
    this.CONSUME(T.If);
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
    this.SUBRULE(this.statement);
    this.OPTION(() => {
      this.CONSUME(T.Else);
      this.SUBRULE2(this.statement);
    });
  });

  /** `for (init; test; update) body` or `for (const x of array) body`. */
  forStatement = this.RULE("forStatement", () => {
    this.CONSUME(T.For);
    this.CONSUME(T.LParen);
    this.OPTION(() =>
      this.OR([{ ALT: () => this.SUBRULE(this.varDeclList) }, { ALT: () => this.SUBRULE(this.expression) }]),
    );
    this.OR2([
      {
        GATE: () => this.LA(1).image === "of",
        ALT: () => {
          this.CONSUME(T.Identifier, { LABEL: "of" });
          this.SUBRULE4(this.expression, { LABEL: "iterable" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Semicolon);
          this.OPTION2(() => this.SUBRULE2(this.expression, { LABEL: "test" }));
          this.CONSUME2(T.Semicolon);
          this.OPTION3(() => this.SUBRULE3(this.expression, { LABEL: "update" }));
        },
      },
    ]);
    this.CONSUME(T.RParen);
    this.SUBRULE(this.statement);
  });

  whileStatement = this.RULE("whileStatement", () => {
    this.CONSUME(T.While);
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
    this.SUBRULE(this.statement);
  });

  doStatement = this.RULE("doStatement", () => {
    this.CONSUME(T.Do);
    this.SUBRULE(this.statement);
    this.CONSUME(T.While);
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
    this.SUBRULE(this.semi);
  });

  returnStatement = this.RULE("returnStatement", () => {
    this.CONSUME(T.Return);
    this.OPTION({ GATE: () => !this.newlineBefore(), DEF: () => this.SUBRULE(this.expression) });
    this.SUBRULE(this.semi);
  });

  /** `break` / `continue` (with an optional label), or `throw` (parsed so the checker can reject it clearly). */
  jumpStatement = this.RULE("jumpStatement", () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([{ ALT: () => this.CONSUME(T.Break) }, { ALT: () => this.CONSUME(T.Continue) }]);
          this.OPTION({
            GATE: () => !this.newlineBefore() && this.LA(1).tokenType === T.Identifier,
            DEF: () => this.CONSUME(T.Identifier, { LABEL: "label" }),
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Throw);
          this.SUBRULE(this.expression);
        },
      },
    ]);
    this.SUBRULE(this.semi);
  });

  /** `label: statement`. */
  labelledStatement = this.RULE("labelledStatement", () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.statement);
  });

  /** `switch (e) { case A: … default: … }`. */
  switchStatement = this.RULE("switchStatement", () => {
    this.CONSUME(T.Switch);
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
    this.CONSUME(T.LCurly);
    this.MANY({ GATE: this.underErrorLimit, DEF: () => this.SUBRULE(this.caseClause) });
    this.CONSUME(T.RCurly);
  });

  /** `case e:` or `default:`, then the clause's statements. */
  caseClause = this.RULE("caseClause", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Case);
          this.SUBRULE(this.expression);
        },
      },
      { ALT: () => this.CONSUME(T.Default) },
    ]);
    this.CONSUME(T.Colon);
    this.MANY({
      GATE: () => this.LA(1).tokenType !== T.Case && this.LA(1).tokenType !== T.Default && this.underErrorLimit(),
      DEF: () => this.SUBRULE(this.statement),
    });
  });

  /** try: keyword, then loosely any tokens up to a braced body, then catch/finally parts. */
  otherStatement = this.RULE("otherStatement", () => {
    this.CONSUME(T.Try);
    this.MANY(() => this.CONSUME(T.NotBrace));
    this.SUBRULE(this.braced);
    this.MANY2({
      GATE: () => this.LA(1).image === "catch" || this.LA(1).image === "finally",
      DEF: () => {
        this.CONSUME(T.Identifier);
        this.MANY3(() => this.CONSUME2(T.NotBrace));
        this.SUBRULE2(this.braced);
      },
    });
  });

  /** interface (a struct type) / type alias / enum (reported as unsupported, its body unparsed). */
  otherDecl = this.RULE("otherDecl", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Interface);
          this.CONSUME(T.Identifier);
          this.SUBRULE(this.objectType);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Enum);
          this.CONSUME2(T.Identifier);
          this.SUBRULE(this.braced);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Type);
          this.CONSUME3(T.Identifier);
          this.CONSUME(T.Equals);
          this.SUBRULE(this.typeRef);
          this.SUBRULE(this.semi);
        },
      },
    ]);
  });

  /** `{ name: T; other?: U, ... }`: the members of an interface or object type. */
  objectType = this.RULE("objectType", () => {
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.CONSUME(T.IdentifierName);
      this.OPTION(() => this.CONSUME(T.Question));
      this.CONSUME(T.Colon);
      this.SUBRULE(this.typeRef);
      this.OPTION2(() => this.OR([{ ALT: () => this.CONSUME(T.Semicolon) }, { ALT: () => this.CONSUME(T.Comma) }]));
    });
    this.CONSUME(T.RCurly);
  });

  classDecl = this.RULE("classDecl", () => {
    this.CONSUME(T.Class);
    this.CONSUME(T.Identifier);
    this.MANY(() => this.CONSUME(T.NotBrace));
    this.SUBRULE(this.braced);
  });

  /** `{ ... }` with balanced braces, contents unparsed. */
  braced = this.RULE("braced", () => {
    this.CONSUME(T.LCurly);
    this.MANY(() => this.OR([{ ALT: () => this.SUBRULE(this.braced) }, { ALT: () => this.CONSUME(T.NotBrace) }]));
    this.CONSUME(T.RCurly);
  });

  functionDecl = this.RULE("functionDecl", () => {
    this.OPTION(() => this.CONSUME(T.Async));
    this.CONSUME(T.Function);
    this.CONSUME(T.Identifier);
    this.SUBRULE(this.paramList);
    this.OPTION2(() => {
      this.CONSUME(T.Colon);
      this.SUBRULE(this.typeRef);
    });
    this.SUBRULE(this.block);
  });

  paramList = this.RULE("paramList", () => {
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.param) });
    this.CONSUME(T.RParen);
  });

  param = this.RULE("param", () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.SUBRULE(this.typeRef);
    });
  });

  expressionStatement = this.RULE("expressionStatement", () => {
    this.SUBRULE(this.expression);
    this.SUBRULE(this.semi);
  });

  /** `;`, or nothing where TypeScript inserts one (newline before, `}` or end of file next). */
  semi = this.RULE("semi", () => {
    this.ACTION(() => {
      const next = this.LA(1);
      if (
        next.tokenType === T.Semicolon ||
        next.tokenType === T.RCurly ||
        next.tokenType === chevrotain.EOF ||
        this.newlineBefore()
      )
        return;
      this.semiErrors.push({ token: next, previous: this.LA(0) });
    });
    this.OPTION(() => this.CONSUME(T.Semicolon));
  });

  /** Comma expressions are not supported; `expression` is one assignment-expression. */
  expression = this.RULE("expression", () => {
    this.SUBRULE(this.assignment);
  });

  assignment = this.RULE("assignment", () => {
    this.SUBRULE(this.conditional);
    this.OPTION(() => {
      this.CONSUME(T.AssignOperator);
      this.SUBRULE(this.assignment);
    });
  });

  conditional = this.RULE("conditional", () => {
    this.SUBRULE(this.binary);
    this.OPTION(() => {
      this.CONSUME(T.Question);
      this.SUBRULE(this.assignment, { LABEL: "then" });
      this.CONSUME(T.Colon);
      this.SUBRULE2(this.assignment, { LABEL: "else" });
    });
  });

  /** Flat operator sequence: operands are unary or (for `as`) types. */
  binary = this.RULE("binary", () => {
    this.SUBRULE(this.unary);
    this.MANY(() =>
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.BinaryOperator);
            this.SUBRULE2(this.unary);
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.As);
            this.SUBRULE(this.typeRef);
          },
        },
      ]),
    );
  });

  unary = this.RULE("unary", () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([
            { ALT: () => this.CONSUME(T.Bang) },
            { ALT: () => this.CONSUME(T.Minus) },
            { ALT: () => this.CONSUME(T.Plus) },
            { ALT: () => this.CONSUME(T.Tilde) },
            { ALT: () => this.CONSUME(T.Typeof) },
            { ALT: () => this.CONSUME(T.Void) },
            { ALT: () => this.CONSUME(T.Await) },
            { ALT: () => this.CONSUME(T.PlusPlus) },
            { ALT: () => this.CONSUME(T.MinusMinus) },
          ]);
          this.SUBRULE(this.unary);
        },
      },
      { ALT: () => this.SUBRULE(this.postfix) },
    ]);
  });

  postfix = this.RULE("postfix", () => {
    this.SUBRULE(this.callMember);
    this.OPTION({
      GATE: () => !this.newlineBefore(),
      DEF: () => this.OR([{ ALT: () => this.CONSUME(T.PlusPlus) }, { ALT: () => this.CONSUME(T.MinusMinus) }]),
    });
  });

  callMember = this.RULE("callMember", () => {
    this.SUBRULE(this.primary);
    this.MANY({
      GATE: () => this.LA(1).tokenType !== T.Less || this.typeArgsCall(),
      DEF: () =>
        this.OR([
          {
            ALT: () => {
              this.CONSUME(T.Dot);
              this.CONSUME(T.IdentifierName);
            },
          },
          {
            ALT: () => {
              this.CONSUME(T.QuestionDot);
              this.CONSUME2(T.IdentifierName);
            },
          },
          { ALT: () => this.SUBRULE(this.args) },
          { ALT: () => this.SUBRULE(this.typeArgs) }, // only before `(`: `config<u32>(1000)`
          {
            ALT: () => {
              this.CONSUME(T.LBracket);
              this.SUBRULE(this.expression);
              this.CONSUME(T.RBracket);
            },
          },
          { GATE: () => !this.newlineBefore(), ALT: () => this.CONSUME(T.Bang) },
        ]),
    });
  });

  /** `(a, b)` (a trailing comma allowed, as in TypeScript). */
  args = this.RULE("args", () => {
    this.CONSUME(T.LParen);
    this.commaList(this.assignment, T.RParen);
    this.CONSUME(T.RParen);
  });

  primary = this.RULE("primary", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.StringLit) },
      { ALT: () => this.SUBRULE(this.template) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.CONSUME(T.Null) },
      { ALT: () => this.CONSUME(T.This) },
      { ALT: () => this.SUBRULE(this.arrowOrIdent) },
      { ALT: () => this.SUBRULE(this.parenOrArrow) },
      { ALT: () => this.SUBRULE(this.newExpr) },
      { ALT: () => this.SUBRULE(this.arrayLiteral) },
      { ALT: () => this.SUBRULE(this.objectLiteral) },
      { ALT: () => this.SUBRULE(this.functionExpr) },
    ]);
  });

  template = this.RULE("template", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.TemplateNoSub) },
      {
        ALT: () => {
          this.CONSUME(T.TemplateHead);
          this.SUBRULE(this.expression);
          this.MANY(() => {
            this.CONSUME(T.TemplateMiddle);
            this.SUBRULE2(this.expression);
          });
          this.CONSUME(T.TemplateTail);
        },
      },
    ]);
  });

  /** `x` or `x => body`. */
  arrowOrIdent = this.RULE("arrowOrIdent", () => {
    this.CONSUME(T.Identifier);
    this.OPTION2(() => {
      this.CONSUME(T.Arrow);
      this.SUBRULE(this.arrowBody);
    });
  });

  /** `( e )`, or `(a: T, b) => body`. */
  parenOrArrow = this.RULE("parenOrArrow", () => {
    this.CONSUME(T.LParen);
    this.MANY_SEP({
      SEP: T.Comma,
      DEF: () => {
        this.SUBRULE(this.assignment);
        this.OPTION(() => {
          this.CONSUME(T.Colon);
          this.SUBRULE(this.typeRef);
        });
      },
    });
    this.CONSUME(T.RParen);
    this.OPTION2(() => {
      this.CONSUME(T.Arrow);
      this.SUBRULE(this.arrowBody);
    });
  });

  arrowBody = this.RULE("arrowBody", () => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [{ ALT: () => this.SUBRULE(this.block) }, { ALT: () => this.SUBRULE(this.assignment) }],
    });
  });

  functionExpr = this.RULE("functionExpr", () => {
    this.CONSUME(T.Function);
    this.OPTION(() => this.CONSUME(T.Identifier));
    this.SUBRULE(this.paramList);
    this.OPTION2(() => {
      this.CONSUME(T.Colon);
      this.SUBRULE(this.typeRef);
    });
    this.SUBRULE(this.block);
  });

  newExpr = this.RULE("newExpr", () => {
    this.CONSUME(T.New);
    this.CONSUME(T.Identifier);
    this.OPTION(() => this.SUBRULE(this.typeArgs));
    this.OPTION2(() => this.SUBRULE(this.args));
  });

  /** `[a, b]` (a trailing comma allowed). */
  arrayLiteral = this.RULE("arrayLiteral", () => {
    this.CONSUME(T.LBracket);
    this.commaList(this.assignment, T.RBracket);
    this.CONSUME(T.RBracket);
  });

  /** `{ a: e, b, ...rest }` (a trailing comma allowed). */
  objectLiteral = this.RULE("objectLiteral", () => {
    this.CONSUME(T.LCurly);
    this.commaList(this.property, T.RCurly);
    this.CONSUME(T.RCurly);
  });

  property = this.RULE("property", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Ellipsis);
          this.SUBRULE(this.assignment, { LABEL: "spread" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.IdentifierName);
          this.OPTION(() => {
            this.CONSUME(T.Colon);
            this.SUBRULE2(this.assignment);
          });
        },
      },
    ]);
  });

  typeArgs = this.RULE("typeArgs", () => {
    this.CONSUME(T.Less);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.typeRef) });
    this.CONSUME(T.Greater);
  });

  /** `A | B | null`, each a name with optional type args and `[]` suffixes. */
  typeRef = this.RULE("typeRef", () => {
    this.AT_LEAST_ONE_SEP({ SEP: T.OtherBinaryOp, DEF: () => this.SUBRULE(this.typeAtom) });
  });

  typeAtom = this.RULE("typeAtom", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Identifier) },
      { ALT: () => this.CONSUME(T.Null) },
      { ALT: () => this.CONSUME(T.Void) },
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.SUBRULE(this.objectType) },
    ]);
    this.OPTION(() => this.SUBRULE(this.typeArgs));
    this.MANY(() => {
      this.CONSUME(T.LBracket);
      this.CONSUME(T.RBracket);
    });
  });

  /**
   * `item (, item)* ,?` before `close`, or nothing: the comma lists of imports, arguments, arrays
   * and object literals (a trailing comma allowed, as in TypeScript). Its DSL methods use the
   * occurrence indexes 8 and 9, which no rule uses, so any rule may call it once.
   */
  private commaList(item: (idx: number) => Chev.CstNode, close: Chev.TokenType): void {
    this.OPTION9(() => {
      this.SUBRULE8(item);
      this.MANY9({
        GATE: () => this.LA(2).tokenType !== close,
        DEF: () => {
          this.CONSUME9(T.Comma);
          this.SUBRULE9(item);
        },
      });
      this.OPTION8(() => this.CONSUME8(T.Comma));
    });
  }

  /** `<A, B>(` ahead: type arguments of a call (TypeScript reads `f<T>(x)` so too), not a comparison. */
  private typeArgsCall(): boolean {
    let k = 2;
    while (this.LA(k).tokenType === T.Identifier && this.LA(k + 1).tokenType === T.Comma) k += 2;
    return (
      this.LA(k).tokenType === T.Identifier &&
      this.LA(k + 1).tokenType === T.Greater &&
      this.LA(k + 2).tokenType === T.LParen
    );
  }

  private newlineBefore(): boolean {
    const prev = this.LA(0);
    const next = this.LA(1);
    return (
      prev.endLine !== undefined &&
      next.startLine !== undefined &&
      !Number.isNaN(next.startLine) &&
      next.startLine > prev.endLine
    );
  }
}

const fastParser = onFirstUse(() => new DslParser(false, false));
const recoveringParser = onFirstUse(() => new DslParser(false, true));

/**
 * The process-wide parsers (grammar validations skipped; see buildParserValidated): `fast` has no
 * error recovery (cheaper to build: no follow sets); `recovering` is built only when a file has a
 * syntax error, to re-parse it and report every error.
 */
export function getParser(recovering = false): DslParser {
  return recovering ? recoveringParser() : fastParser();
}

/** Build a fresh parser with Chevrotain's grammar validations on (used by one test). */
export function buildParserValidated(): DslParser {
  return new DslParser(true);
}

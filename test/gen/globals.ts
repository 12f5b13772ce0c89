// Global variables for the program generator: takes the expression generator and produces the
// top-level declarations of a program's globals — integer `let`s (.bss when 0, else .data), a
// `let` FixedArray, a const FixedArray (.rodata) and config<T>() load-time constants — with what
// the statements may do with them: the scalars as variables (read, assigned, `op=`, atomic when 4
// or 8 bytes), array elements read and written at constant and variable indexes (also outside the
// array), for…of over the arrays, and a log line of every writable scalar (so the values the
// kernel kept across packets are compared with the interpreter's).
import type { IntName } from "../../compiler/dsl/ast.js";
import { type ExprGen, type Expr, INTS } from "./exprs.js";

export interface GlobalVar {
  name: string;
  type: IntName;
  mutable: boolean;
}
export interface GlobalArray {
  name: string;
  elem: IntName;
  len: number;
  mutable: boolean;
}

export class GlobalsGen {
  scalars: GlobalVar[] = [];
  arrays: GlobalArray[] = [];
  private indexing = false;

  /** x: the program's expressions; own: the declarations' choices (a source of their own). */
  constructor(
    private readonly x: ExprGen,
    private readonly own: ExprGen,
  ) {}

  /** The declarations (none for about half the programs). */
  declare(): string[] {
    const x = this.own,
      out: string[] = [];
    if (x.chance(0.5)) return out;
    for (let i = 0, k = 1 + x.int(3); i < k; i++) {
      const g: GlobalVar = { name: `G${i}`, type: x.pick(INTS), mutable: true };
      out.push(`let ${g.name}: ${g.type} = ${x.chance(0.5) ? "0" : x.literal(g.type)};`);
      this.scalars.push(g);
    }
    for (let i = 0, k = x.int(3); i < k; i++) {
      const g: GlobalVar = { name: `CF${i}`, type: x.pick(INTS), mutable: false };
      out.push(`const ${g.name} = config<${g.type}>(${x.literal(g.type)});`);
      this.scalars.push(g);
    }
    if (x.chance(0.6)) out.push(this.array("GA0", true));
    if (x.chance(0.6)) out.push(this.array("CA0", false));
    return out;
  }

  private array(name: string, mutable: boolean): string {
    const x = this.own;
    const a: GlobalArray = { name, elem: x.pick(INTS), len: 2 + x.int(4), mutable };
    this.arrays.push(a);
    const elems = Array.from({ length: a.len }, () => (mutable && x.chance(0.5) ? "0" : x.literal(a.elem)));
    return `${mutable ? "let" : "const"} ${name}: FixedArray<${a.elem}, ${a.len}> = [${elems.join(", ")}];`;
  }

  /** Element reads, as fields the expressions may use. */
  fields(): Expr[] {
    return this.arrays.map((a) => ({ code: `${a.name}[${this.index(a)}]`, type: a.elem }));
  }

  /** An element index: a constant inside the array or a variable expression (sometimes outside;
   * constant inside an index expression, which would otherwise recurse through fields()). */
  private index(a: GlobalArray): string {
    if (this.indexing || this.x.chance(0.4)) return `${this.x.int(a.len)}`;
    this.indexing = true;
    const e = this.x.expr("u32", 1);
    this.indexing = false;
    return e.konst ? `(${e.code}) % ${a.len}` : `(${e.code}) & 7`;
  }

  /** A write of a writable array's element (`=` or `op=`), or undefined when there is none. */
  elementWrite(ops: string[]): string | undefined {
    const ws = this.arrays.filter((a) => a.mutable);
    if (!ws.length) return undefined;
    const a = this.x.pick(ws);
    const op = this.x.pick(["", ...ops]);
    const e = this.x.expr(a.elem, 2);
    return `${a.name}[${this.index(a)}] ${op}= ${(op === "/" || op === "%" ? this.x.divisor(e) : e).code};`;
  }

  /** An array to iterate with for…of. */
  iterable(): GlobalArray | undefined {
    return this.arrays.length ? this.x.pick(this.arrays) : undefined;
  }

  /** `info(...)` of every writable scalar, or undefined. */
  report(): string | undefined {
    const ws = this.scalars.filter((g) => g.mutable);
    return ws.length ? `info(\`globals ${ws.map((g) => `${g.name}=\${${g.name}}`).join(" ")}\`);` : undefined;
  }
}

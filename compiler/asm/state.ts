// The assembler's state: takes nothing, holds what assemble.ts and directives.ts build while they
// read a .s file — sections (bytes, relocations), symbols, fixups left for the end, diagnostics —
// and produces spans and errors at tokens.
import { type Diagnostic, error } from "../diagnostics.js";
import type { Span } from "../span.js";
import type { ElfRelocInput, ElfSymbolInput } from "../elf/sections.js";
import { ByteWriter } from "../elf/bytes.js";
import { SHT } from "../abi.js";
import type { Token } from "./lexer.js";
import type { AsmCode } from "../codes.js";

export const R_BPF_64_64 = 1,
  R_BPF_64_ABS64 = 2,
  R_BPF_64_ABS32 = 3,
  R_BPF_64_NODYLD32 = 4,
  R_BPF_64_32 = 10;
export const SHF_WRITE = 1,
  SHF_ALLOC = 2,
  SHF_EXEC = 4;

export interface Section {
  name: string;
  type: number;
  flags: number;
  align: number;
  entsize?: number;
  w: ByteWriter;
  nobitsSize: number;
  relocs: ElfRelocInput[];
  order: number;
  bytePatches: [number, number][];
}

export interface Sym {
  name: string;
  section?: string;
  value: number;
  size?: number;
  sizeExpr?: { terms: SizeTerm[]; span: Span };
  type: ElfSymbolInput["type"];
  bind?: "global" | "weak" | "local";
  visibility?: "hidden";
  defined: boolean;
  order: number;
  /** A section's own name used as a symbol (`.long .debug_abbrev`): the section symbol, not emitted itself. */
  sectionAlias?: boolean;
}

export type SizeTerm = { sign: 1 | -1; sym?: string; dot?: { section: string; offset: number }; value?: bigint };

export interface Fixup {
  section: Section;
  at: number;
  kind: "jump" | "call" | "ld64" | "abs64" | "abs32" | "diff";
  /** diff: the data size and the expression's terms */
  size?: number;
  terms?: SizeTerm[];
  symbol: string;
  addend: bigint;
  code?: number;
  src?: number;
  span: Span;
}

/** Where instruction lines' bytes are remembered for replay (assemble.ts's LineCache). */
export interface LineMemory {
  remember(toks: Token[], w: ByteWriter, at: number): void;
}

export class AsmState {
  readonly sections = new Map<string, Section>();
  readonly syms = new Map<string, Sym>();
  readonly fixups: Fixup[] = [];
  readonly diags: Diagnostic[] = [];
  readonly usedSectionSyms = new Set<string>();
  cur: Section;
  prev?: Section;
  fileSym?: string;
  lines?: LineMemory;
  private symOrder = 0;

  constructor(readonly file: string) {
    this.cur = this.section(".text", 1, SHF_ALLOC | SHF_EXEC, 4);
  }

  section(name: string, type: number, flags: number, align = 1): Section {
    let s = this.sections.get(name);
    if (!s) {
      s = {
        name,
        type,
        flags,
        align,
        w: new ByteWriter(),
        nobitsSize: 0,
        relocs: [],
        order: this.symOrder++,
        bytePatches: [],
      };
      this.sections.set(name, s);
    }
    return s;
  }

  sym(name: string): Sym {
    let s = this.syms.get(name);
    if (!s) {
      s = { name, value: 0, type: "notype", defined: false, order: this.symOrder++ };
      this.syms.set(name, s);
    }
    return s;
  }

  span(t: Token, length?: number): Span {
    return { file: this.file, line: t.line, col: t.col, offset: t.offset, length: length ?? t.text.length };
  }

  err(code: AsmCode, message: string, t: Token, length?: number): void {
    this.diags.push(error(code, message, this.span(t, length)));
  }

  /** Where a term of a label expression points (`.` or a symbol), or undefined if not yet placed. */
  placeOf(t: SizeTerm): { section: string; offset: number } | undefined {
    if (t.dot) return t.dot;
    const s = this.syms.get(t.sym!);
    return s?.defined ? { section: s.section!, offset: s.value } : undefined;
  }

  offset(): number {
    return this.cur.type === SHT.NOBITS ? this.cur.nobitsSize : this.cur.w.length;
  }
}

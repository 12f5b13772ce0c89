// Printer: Insn → LLVM-syntax text exactly as llvm-objdump prints it. Takes one instruction and
// options (LLVM 14 decimal by default; `hex: true` gives llvm-objdump-19 --print-imm-hex; `alu32`
// the --mcpu=v3/v4 register forms); produces the text after the raw-bytes column. Jump targets
// are printed as +N/-N offsets; the objdump command may append `<label>`.
import type { Insn } from "./insn.js";
import { findEntry, targetInImm } from "./lookup.js";
import type { OpEntry } from "./table.js";

export interface PrintOptions {
  /** Immediates in hex (LLVM >= 16 --print-imm-hex style). */
  hex?: boolean;
  /** Which llvm-objdump to imitate; defaults to 19 with hex, 14 without. */
  llvm?: 14 | 19;
  /** alu32 register forms (`w0 = *(u32 *)…`), as llvm-objdump-19 --mcpu=v3 prints them. */
  alu32?: boolean;
}

export function templateFor(e: OpEntry, opts: PrintOptions): string | null {
  const llvm = opts.llvm ?? (opts.hex ? 19 : 14);
  if (llvm === 14) return e.llvm14 === undefined ? e.asm : e.llvm14;
  if (opts.alu32 && e.asm32 !== undefined) return e.asm32;
  return e.asm;
}

export function printInsn(insn: Insn, opts: PrintOptions = {}): string {
  const p = printerFor(insn, opts);
  return p === null ? "<unknown>" : p(insn, !!opts.hex);
}

/** Where a printer writes: literal text, and integers printed as `num` prints them. */
export interface TextSink {
  text(s: string): void;
  num(v: number, hex: boolean): void;
}

/** A template compiled once into its pieces; `jump` says which field a %tgt / %ltgt reads. */
export interface Printer {
  (i: Insn, hex: boolean): string;
  /** The same text, written piece by piece (objdump writes straight into its output buffer). */
  emit(o: TextSink, i: Insn, hex: boolean): void;
  jump: "off" | "imm" | undefined;
}

/** The compiled template that prints `insn` (null: `<unknown>`), built lazily from the table. */
export function printerFor(insn: Insn, opts: PrintOptions = {}): Printer | null {
  const llvm = opts.llvm ?? (opts.hex ? 19 : 14);
  const e = findEntry(insn, llvm === 14);
  if (!e) return null;
  const cache = PRINTERS[llvm === 14 ? 0 : opts.alu32 ? 2 : 1];
  let p = cache.get(e);
  if (p === undefined) {
    const t = templateFor(e, opts);
    p = t === null ? null : compile(t);
    cache.set(e, p);
  }
  return p;
}

const PRINTERS = [
  new Map<OpEntry, Printer | null>(),
  new Map<OpEntry, Printer | null>(),
  new Map<OpEntry, Printer | null>(),
];
const PLACEHOLDER = /%(rd|rs|wd|ws|imm64|imm|off|tgt|ltgt|sym|srcn|asd|ass|rimm|pimm)/g;

type Field = (o: TextSink, i: Insn, hex: boolean) => void;
const reg = (o: TextSink, prefix: string, n: number) => (o.text(prefix), o.num(n, false));
const signed = (o: TextSink, v: number, hex: boolean) => (v < 0 ? o.num(v, hex) : (o.text("+"), o.num(v, hex)));
const FIELDS: Record<string, Field> = {
  rd: (o, i) => reg(o, "r", i.dst),
  rs: (o, i) => reg(o, "r", i.src),
  wd: (o, i) => reg(o, "w", i.dst),
  ws: (o, i) => reg(o, "w", i.src),
  imm: (o, i, hex) => o.num(i.imm, hex),
  sym: (o, i, hex) => o.num(i.imm, hex),
  imm64: (o, i, hex) => o.text(num(BigInt.asIntN(64, i.imm64 ?? BigInt(i.imm)), hex)),
  pimm: (o, i, hex) => o.text(num(BigInt.asIntN(64, i.imm64 ?? BigInt(i.imm)), hex)),
  off: (o, i, hex) => (i.off < 0 ? (o.text("- "), o.num(-i.off, hex)) : (o.text("+ "), o.num(i.off, hex))),
  tgt: (o, i, hex) => signed(o, i.off, hex),
  ltgt: (o, i, hex) => signed(o, i.imm, hex),
  srcn: (o, i, hex) => o.num(i.src, hex),
  asd: (o, i, hex) => o.num(i.imm >>> 16, hex),
  ass: (o, i, hex) => o.num(i.imm & 0xffff, hex),
  rimm: (o, i) => reg(o, "r", i.imm),
};

class StringSink implements TextSink {
  s = "";
  text(s: string): void {
    this.s += s;
  }
  num(v: number, hex: boolean): void {
    this.s += num(v, hex);
  }
}

/** Template → printer: literal text and field printers, alternating (lit0 f0 lit1 f1 … litN). */
function compile(t: string): Printer {
  const lits: string[] = [],
    fields: Field[] = [];
  let last = 0;
  for (const m of t.matchAll(PLACEHOLDER)) {
    lits.push(t.slice(last, m.index));
    fields.push(FIELDS[m[1]]);
    last = m.index! + m[0].length;
  }
  lits.push(t.slice(last));
  const n = fields.length;
  const emit = (o: TextSink, i: Insn, hex: boolean): void => {
    if (lits[0]) o.text(lits[0]);
    for (let k = 0; k < n; k++) {
      fields[k](o, i, hex);
      if (lits[k + 1]) o.text(lits[k + 1]);
    }
  };
  const p = ((i: Insn, hex: boolean): string => {
    const o = new StringSink();
    emit(o, i, hex);
    return o.s;
  }) as Printer;
  p.emit = emit;
  p.jump = t.includes("%tgt") ? "off" : t.includes("%ltgt") ? "imm" : undefined;
  return p;
}

export function num(v: number | bigint, hex: boolean): string {
  if (!hex) return v.toString();
  if (typeof v === "number" && Number.isSafeInteger(v))
    return v < 0 ? "-0x" + (-v).toString(16) : "0x" + v.toString(16);
  const neg = v < 0;
  const abs = neg ? -BigInt(v) : BigInt(v);
  return `${neg ? "-" : ""}0x${abs.toString(16)}`;
}

/**
 * The slot a jump (goto, if … goto, gotol, may_goto) or local call at `slot` lands on, for
 * objdump's `<label>` annotation; undefined for other instructions.
 */
export function branchTarget(insn: Insn, slot: number): number | undefined {
  const cls = insn.code & 7;
  if (cls !== 5 && cls !== 6) return undefined;
  const op = insn.code & 0xf0;
  if (targetInImm(insn.code, insn.src)) return slot + 1 + insn.imm;
  if (op === 0x80 || op === 0x90 || (cls === 6 && (op === 0x00 || op === 0xe0))) return undefined;
  return slot + 1 + insn.off;
}

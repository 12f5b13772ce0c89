// Assembler directives (the ones clang emits for BPF): takes a directive statement and the
// assembler state; changes sections, symbols and data. Debug-info directives are ignored.
import type { Token } from "./lexer.js";
import { type AsmState, type SizeTerm, SHF_ALLOC, SHF_EXEC, SHF_WRITE } from "./state.js";
import { ASM_CODES as ASM } from "../codes.js";

const IGNORED = new Set([
  ".loc",
  ".cfi_sections",
  ".cfi_startproc",
  ".cfi_endproc",
  ".cfi_def_cfa",
  ".cfi_offset",
  ".ident",
  ".addrsig",
  ".addrsig_sym",
  ".file_end",
  ".cfi_def_cfa_offset",
  ".cfi_adjust_cfa_offset",
  ".cfi_restore",
  ".protected",
  ".internal",
  ".loc_mark",
  ".nops_not_supported",
]);

const PROGBITS = 1,
  NOBITS = 8;
const NOP = new Uint8Array([0, 0, 0, 0x15, 0, 0, 0, 0]); // what llvm-mc pads code with

/** Split operands at top-level commas. */
function operands(toks: Token[]): Token[][] {
  const out: Token[][] = [[]];
  for (const t of toks) {
    if (t.kind === "punct" && t.text === ",") out.push([]);
    else out[out.length - 1].push(t);
  }
  return out.length === 1 && out[0].length === 0 ? [] : out;
}

export function runDirective(st: AsmState, toks: Token[]): void {
  const d = toks[0];
  const name = d.text;
  const ops = operands(toks.slice(1));
  if (IGNORED.has(name) || name.startsWith(".cfi_")) return;
  switch (name) {
    case ".text":
      return switchTo(st, ".text", PROGBITS, SHF_ALLOC | SHF_EXEC);
    case ".data":
      return switchTo(st, ".data", PROGBITS, SHF_ALLOC | SHF_WRITE);
    case ".bss":
      return switchTo(st, ".bss", NOBITS, SHF_ALLOC | SHF_WRITE);
    case ".section":
    case ".pushsection":
      return sectionDirective(st, d, ops);
    case ".previous":
    case ".popsection": {
      if (st.prev) [st.cur, st.prev] = [st.prev, st.cur];
      return;
    }
    case ".globl":
    case ".global":
    case ".weak":
    case ".local":
      for (const op of ops) {
        if (op.length !== 1 || op[0].kind !== "ident")
          return st.err(ASM.directive, `expected a symbol name after ${name}`, op[0] ?? d);
        st.sym(op[0].text).bind = name === ".weak" ? "weak" : name === ".local" ? "local" : "global";
      }
      return;
    case ".hidden":
      for (const op of ops) if (op[0]?.kind === "ident") st.sym(op[0].text).visibility = "hidden";
      return;
    case ".type":
      return typeDirective(st, d, ops);
    case ".size":
      return sizeDirective(st, d, ops);
    case ".file":
      if (ops.length === 1 && ops[0].length === 1 && ops[0][0].kind === "str") st.fileSym = ops[0][0].text;
      return;
    case ".p2align":
    case ".balign":
    case ".align":
      return alignDirective(st, d, ops, name === ".p2align");
    case ".byte":
      return dataDirective(st, d, ops, 1);
    case ".short":
    case ".half":
    case ".2byte":
    case ".hword":
      return dataDirective(st, d, ops, 2);
    case ".long":
    case ".int":
    case ".word":
    case ".4byte":
      return dataDirective(st, d, ops, 4);
    case ".quad":
    case ".8byte":
    case ".dword":
      return dataDirective(st, d, ops, 8);
    case ".ascii":
    case ".asciz":
    case ".string":
      return stringDirective(st, d, ops, name !== ".ascii");
    case ".zero":
    case ".space":
    case ".skip":
      return zeroDirective(st, d, ops);
    case ".uleb128":
    case ".sleb128":
      return lebDirective(st, d, ops, name === ".sleb128");
  }
  st.err(ASM.directive, `unknown directive '${name}'`, d);
}

function switchTo(st: AsmState, name: string, type: number, flags: number, align = 1): void {
  st.prev = st.cur;
  st.cur = st.section(name, type, flags, align);
}

function defaultFlags(name: string): { type: number; flags: number } {
  if (name.startsWith(".text")) return { type: PROGBITS, flags: SHF_ALLOC | SHF_EXEC };
  if (name.startsWith(".bss")) return { type: NOBITS, flags: SHF_ALLOC | SHF_WRITE };
  if (name.startsWith(".data")) return { type: PROGBITS, flags: SHF_ALLOC | SHF_WRITE };
  if (name.startsWith(".rodata")) return { type: PROGBITS, flags: SHF_ALLOC };
  return { type: PROGBITS, flags: 0 };
}

function sectionName(op: Token[]): string {
  if (op.length === 1 && op[0].kind === "str") return op[0].text;
  // Names such as xdp/xdp_hello or .rodata.str1.1 arrive as several tokens; join them by position.
  let s = "";
  let end = -1;
  for (const t of op) {
    if (end >= 0 && t.offset !== end) break;
    s += t.text;
    end = t.offset + t.text.length;
  }
  return s;
}

function sectionDirective(st: AsmState, d: Token, ops: Token[][]): void {
  if (!ops.length || !ops[0].length) return st.err(ASM.directive, "expected a section name", d);
  const name = sectionName(ops[0]);
  let { type, flags } = defaultFlags(name);
  let entsize: number | undefined;
  if (ops[1]) {
    const f = ops[1][0];
    if (!f || f.kind !== "str") return st.err(ASM.directive, "expected a quoted flag string", f ?? d);
    flags = 0;
    for (const ch of f.text) {
      const bit = ({ a: SHF_ALLOC, w: SHF_WRITE, x: SHF_EXEC, M: 0x10, S: 0x20 } as Record<string, number>)[ch];
      if (bit === undefined) return st.err(ASM.directive, `unknown section flag '${ch}'`, f);
      flags |= bit;
    }
  }
  if (ops[2]) {
    const t = ops[2].map((x) => x.text).join("");
    if (t === "@progbits" || t === "%progbits") type = PROGBITS;
    else if (t === "@nobits" || t === "%nobits") type = NOBITS;
    else return st.err(ASM.directive, `unknown section type '${t}'`, ops[2][0]);
  }
  if (ops[3] && ops[3][0]?.kind === "num") entsize = Number(ops[3][0].value);
  const exists = st.sections.has(name);
  switchTo(st, name, type, flags);
  if (!exists && entsize !== undefined) st.cur.entsize = entsize;
}

function typeDirective(st: AsmState, d: Token, ops: Token[][]): void {
  if (ops.length !== 2 || ops[0].length !== 1)
    return st.err(ASM.directive, "expected '.type symbol, @function|@object'", d);
  const kind = ops[1]
    .map((t) => t.text)
    .join("")
    .replace(/^[@%]/, "")
    .replace(/^"|"$/g, "");
  const type = (
    {
      function: "func",
      object: "object",
      notype: "notype",
      STT_FUNC: "func",
      STT_OBJECT: "object",
      STT_NOTYPE: "notype",
    } as const
  )[kind];
  if (!type) return st.err(ASM.directive, `unknown symbol type '${kind}'`, ops[1][0] ?? d);
  st.sym(ops[0][0].text).type = type;
}

function sizeDirective(st: AsmState, d: Token, ops: Token[][]): void {
  if (ops.length !== 2 || ops[0].length !== 1 || !ops[1].length)
    return st.err(ASM.directive, "expected '.size symbol, expression'", d);
  const terms = expr(st, ops[1]);
  if (!terms) return;
  st.sym(ops[0][0].text).sizeExpr = { terms, span: st.span(ops[1][0]) };
}

/** `a - b`, `. - f`, `sym + 8`, numbers: a sum of signed terms. */
function expr(st: AsmState, toks: Token[]): SizeTerm[] | undefined {
  const terms: SizeTerm[] = [];
  let sign: 1 | -1 = 1;
  let expectTerm = true;
  for (const t of toks) {
    if (t.kind === "punct" && (t.text === "+" || t.text === "-") && !expectTerm) {
      sign = t.text === "-" ? -1 : 1;
      expectTerm = true;
      continue;
    }
    if (t.kind === "num" && (expectTerm || t.signed)) {
      terms.push({ sign: expectTerm ? sign : 1, value: t.value! });
      expectTerm = false;
      continue;
    }
    if (t.kind === "ident" && expectTerm) {
      terms.push(t.text === "." ? { sign, dot: { section: st.cur.name, offset: st.offset() } } : { sign, sym: t.text });
      expectTerm = false;
      continue;
    }
    st.err(ASM.directive, `unexpected '${t.text}' in expression`, t);
    return undefined;
  }
  if (expectTerm) {
    st.err(ASM.directive, "expression is incomplete", toks[toks.length - 1]);
    return undefined;
  }
  return terms;
}

function alignDirective(st: AsmState, d: Token, ops: Token[][], p2: boolean): void {
  const v = ops[0]?.[0];
  if (!v || v.kind !== "num") return st.err(ASM.directive, "expected an alignment", v ?? d);
  const align = p2 ? 1 << Number(v.value) : Number(v.value);
  if (align <= 0 || (align & (align - 1)) !== 0) return st.err(ASM.directive, "alignment must be a power of 2", v);
  const sec = st.cur;
  sec.align = Math.max(sec.align, align);
  const pad = (align - (st.offset() % align)) % align;
  if (sec.type === NOBITS) {
    sec.nobitsSize += pad;
    return;
  }
  const fill = ops[1]?.[0]?.value;
  if (fill === undefined && sec.flags & SHF_EXEC && pad % 8 === 0) for (let i = 0; i < pad; i += 8) sec.w.bytes(NOP);
  else for (let i = 0; i < pad; i++) sec.w.u8(Number(fill ?? 0n));
}

function dataDirective(st: AsmState, d: Token, ops: Token[][], size: 1 | 2 | 4 | 8): void {
  if (st.cur.type === NOBITS) return nobitsData(st, ops, size);
  for (const op of ops) {
    const terms = expr(st, op);
    if (!terms) return;
    const syms = terms.filter((t) => t.sym !== undefined);
    const constant = terms.reduce((a, t) => a + (t.value !== undefined ? BigInt(t.sign) * t.value : 0n), 0n);
    if (syms.length === 0 && !terms.some((t) => t.dot)) {
      const bits = BigInt(size * 8); // llvm-mc: from the signed minimum to the unsigned maximum
      if (constant < -(1n << (bits - 1n)) || constant >= 1n << bits)
        st.err(ASM.directive, `out of range literal value for ${d.text}`, op[0]);
      appendConst(st, size, constant);
      continue;
    }
    const at = st.cur.w.zeros(size);
    const locs = terms.filter((t) => t.sym !== undefined || t.dot);
    if (locs.reduce((a, t) => a + t.sign, 0) === 0) {
      // label differences (and `.`): a constant once every label is placed
      for (const t of syms) st.sym(t.sym!);
      st.fixups.push({ section: st.cur, at, kind: "diff", size, terms, symbol: "", addend: 0n, span: st.span(op[0]) });
      continue;
    }
    if (syms.length !== 1 || syms[0].sign !== 1 || terms.some((t) => t.dot) || (size !== 8 && size !== 4)) {
      st.err(ASM.directive, `only 'symbol + constant' or label differences are supported in ${d.text}`, op[0]);
      continue;
    }
    st.sym(syms[0].sym!);
    st.fixups.push({
      section: st.cur,
      at,
      kind: size === 8 ? "abs64" : "abs32",
      symbol: syms[0].sym!,
      addend: constant,
      span: st.span(op[0]),
    });
  }
}

/** Data in a nobits section (.bss, as `clang -S` writes it): zeros only, as llvm-mc accepts. */
function nobitsData(st: AsmState, ops: Token[][], size: number): void {
  for (const op of ops) {
    const terms = expr(st, op);
    if (!terms) return;
    if (terms.some((t) => t.sym !== undefined || t.dot || (t.value ?? 0n) !== 0n))
      return st.err(ASM.directive, `SHT_NOBITS section '${st.cur.name}' cannot have non-zero initializers`, op[0]);
    st.cur.nobitsSize += size;
  }
}

function appendConst(st: AsmState, size: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  const w = st.cur.w;
  if (size === 1) w.u8(Number(u & 0xffn));
  else if (size === 2) w.u16(Number(u & 0xffffn));
  else if (size === 4) w.u32(Number(u & 0xffffffffn));
  else w.u64(u);
}

function stringDirective(st: AsmState, d: Token, ops: Token[][], nul: boolean): void {
  if (st.cur.type === NOBITS) return st.err(ASM.directive, `${d.text} is not allowed in a nobits section`, d);
  for (const op of ops) {
    if (op.length !== 1 || op[0].kind !== "str")
      return st.err(ASM.directive, `expected a string after ${d.text}`, op[0] ?? d);
    for (const ch of op[0].text) st.cur.w.u8(ch.charCodeAt(0));
    if (nul) st.cur.w.u8(0);
  }
}

function zeroDirective(st: AsmState, d: Token, ops: Token[][]): void {
  const n = ops[0]?.[0];
  if (!n || n.kind !== "num" || n.value! < 0n) return st.err(ASM.directive, `expected a size after ${d.text}`, n ?? d);
  const fill = Number((ops[1]?.[0]?.value ?? 0n) & 0xffn);
  if (st.cur.type === NOBITS) {
    st.cur.nobitsSize += Number(n.value);
    return;
  }
  for (let i = 0; i < Number(n.value); i++) st.cur.w.u8(fill);
}

function lebDirective(st: AsmState, d: Token, ops: Token[][], signed: boolean): void {
  for (const op of ops) {
    const terms = expr(st, op);
    if (!terms) return;
    let v = lebValue(st, terms);
    if (v === undefined)
      return st.err(
        ASM.directive,
        `only constants and differences of labels defined earlier in one section are supported in ${d.text}`,
        op[0],
      );
    if (!signed && v < 0n) return st.err(ASM.directive, "negative value in .uleb128", op[0]);
    for (;;) {
      const byte = Number(v & 0x7fn);
      v >>= 7n; // arithmetic shift for negative values
      const done = signed ? (v === 0n && !(byte & 0x40)) || (v === -1n && !!(byte & 0x40)) : v === 0n;
      st.cur.w.u8(done ? byte : byte | 0x80);
      if (done) break;
    }
  }
}

/** A LEB operand's value: constants plus differences of labels already placed (clang's DWARF
 * `.uleb128 .Ltmp5-.Lfunc_begin0`); undefined when a label is not yet placed or sections differ. */
function lebValue(st: AsmState, terms: SizeTerm[]): bigint | undefined {
  let v = 0n;
  const net = new Map<string, number>();
  for (const t of terms) {
    if (t.value !== undefined) {
      v += BigInt(t.sign) * t.value;
      continue;
    }
    const where = st.placeOf(t);
    if (!where) return undefined;
    v += BigInt(t.sign * where.offset);
    net.set(where.section, (net.get(where.section) ?? 0) + t.sign);
  }
  for (const n of net.values()) if (n !== 0) return undefined;
  return v;
}

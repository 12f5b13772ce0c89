// The LLVM-syntax assembler: takes .s text (as llvm-mc -triple bpfel accepts it) and produces an
// ElfInput (sections, symbols, relocations laid out as llvm-mc lays them out) plus diagnostics.
// Instructions are encoded straight into their section's buffer; labels, calls and symbol loads
// are recorded as fixups and resolved (or turned into relocations) at the end.
import { type Diagnostic, error, inSourceOrder } from "../diagnostics.js";
import type { Span } from "../span.js";
import type { ElfInput, ElfSectionInput, ElfSymbolInput } from "../elf/sections.js";
import type { ByteWriter } from "../elf/bytes.js";
import { fieldError, writeInsn } from "../isa/encode.js";
import { CALL, type Insn, LD_IMM64 } from "../isa/insn.js";
import { CALL_KIND, SHT } from "../abi.js";
import { targetInImm } from "../isa/lookup.js";
import { bind } from "./bind.js";
import { matchForm } from "./forms.js";
import { lexEach, type Statement, type Token } from "./lexer.js";
import { runDirective } from "./directives.js";
import { AsmState, type Fixup, type Section, type Sym, SHF_ALLOC, SHF_EXEC, SHF_WRITE } from "./state.js";
import { R_BPF_64_64, R_BPF_64_ABS64, R_BPF_64_ABS32, R_BPF_64_NODYLD32, R_BPF_64_32 } from "./state.js";
import { ASM_CODES as ASM } from "../codes.js";

export interface AsmResult {
  elf?: ElfInput;
  diagnostics: Diagnostic[];
}

export function assembleLlvm(text: string, file: string): AsmResult {
  const st = new AsmState(file);
  const lines = (st.lines = new LineCache(text));
  const errors = lexEach(text, (s) => statement(st, s), { replay: (start) => lines.replay(st, start) });
  for (const e of errors)
    st.diags.push(error(ASM.lexical, e.message, { file, line: e.line, col: e.col, offset: e.offset, length: 1 }));
  resolve(st);
  if (st.diags.length) return { diagnostics: inSourceOrder(st.diags) };
  return { elf: finish(st), diagnostics: st.diags };
}

function statement(st: AsmState, s: Statement): void {
  let toks = s.tokens;
  // Labels: `name:` (possibly several, possibly followed by an instruction).
  while (
    toks.length >= 2 &&
    (toks[0].kind === "ident" || toks[0].kind === "num") &&
    toks[1].kind === "punct" &&
    toks[1].text === ":"
  ) {
    defineLabel(st, toks[0]);
    toks = toks.slice(2);
  }
  if (!toks.length) return;
  if (toks[0].kind === "ident" && toks[0].text.startsWith(".") && !isInsnStart(toks)) return runDirective(st, toks);
  instruction(st, toks, !s.lexError);
}

/**
 * Encoded bytes of instruction lines seen before, by text (only lines without a label, symbol,
 * comment, string or error, whose bytes depend on nothing but their text): a line that repeats is
 * copied instead of being lexed, matched and bound again. An open-addressing table hashed straight
 * from the source text (no key string per lookup).
 */
export class LineCache {
  private static readonly MAX = 4096;
  private readonly slots = new Int32Array(LineCache.MAX * 2); // entry index + 1, 0 = empty
  private readonly lines: string[] = [];
  private readonly bytes: Uint8Array[] = [];
  constructor(private readonly text: string) {}

  /** Copies the bytes of the line at text[start] if it was seen before; returns its end, or -1. */
  replay(st: AsmState, start: number): number {
    if (this.lines.length === 0 || st.cur.type === SHT.NOBITS) return -1;
    const text = this.text,
      n = text.length;
    let end = start,
      h = HASH_SEED;
    for (let c; end < n && (c = text.charCodeAt(end)) !== 10; end++) h = Math.imul(h ^ c, HASH_PRIME);
    const len = end - start;
    const mask = this.slots.length - 1;
    for (let slot = hashFinal(h) & mask; this.slots[slot] !== 0; slot = (slot + 1) & mask) {
      const e = this.slots[slot] - 1,
        line = this.lines[e];
      if (line.length !== len) continue;
      let k = 0;
      while (k < len && line.charCodeAt(k) === text.charCodeAt(start + k)) k++;
      if (k < len) continue;
      st.cur.w.bytes(this.bytes[e]);
      return end;
    }
    return -1;
  }

  remember(toks: Token[], w: ByteWriter, at: number): void {
    if (this.lines.length >= LineCache.MAX) return;
    const start = toks[0].offset,
      nl = this.text.indexOf("\n", start),
      end = nl < 0 ? this.text.length : nl;
    const line = this.text.slice(start, end);
    if (/[;#/":]/.test(line)) return;
    const mask = this.slots.length - 1;
    let slot = hashText(this.text, start, end) & mask;
    while (this.slots[slot] !== 0) {
      if (this.lines[this.slots[slot] - 1] === line) return;
      slot = (slot + 1) & mask;
    }
    this.lines.push(line);
    this.bytes.push(new Uint8Array(w.dataView.buffer, at, w.length - at).slice());
    this.slots[slot] = this.lines.length;
  }
}

const HASH_SEED = 0x811c9dc5,
  HASH_PRIME = 0x01000193; // FNV-1a

function hashText(text: string, start: number, end: number): number {
  let h = HASH_SEED;
  for (let k = start; k < end; k++) h = Math.imul(h ^ text.charCodeAt(k), HASH_PRIME);
  return hashFinal(h);
}

function hashFinal(h: number): number {
  return (h ^ (h >>> 15)) >>> 0;
}

function isInsnStart(toks: Token[]): boolean {
  return toks.length > 1 && toks[1].kind === "punct" && toks[1].text.endsWith("=");
}

export function defineLabel(st: AsmState, t: Token): void {
  const sym = st.sym(t.text);
  if (sym.defined) return st.err(ASM.redefined, `symbol '${t.text}' is already defined`, t);
  sym.defined = true;
  sym.section = st.cur.name;
  sym.value = st.offset();
}

function instruction(st: AsmState, toks: Token[], cacheable = false): void {
  const form = matchForm(toks);
  const first = toks[0];
  const last = toks[toks.length - 1];
  const len = last.offset + last.text.length - first.offset;
  if (!form)
    return st.err(
      ASM.unknownInstruction,
      `unknown instruction or invalid operands: '${toks.map((t) => t.text).join(" ")}'`,
      first,
      len,
    );
  const r = bind(toks, form);
  if ("message" in r) return st.err(ASM.operand, r.message, r.token);
  if (st.cur.type === SHT.NOBITS)
    return st.err(ASM.directive, "instructions are not allowed in a nobits section", first, len);
  // The span is kept only by a fixup (a label, call or symbol load); others share a stand-in.
  if (r.target !== undefined || r.symbol !== undefined) return emitInsn(st, r, st.span(first, len));
  const at = st.cur.w.length;
  emitInsn(st, r, NO_SPAN);
  if (cacheable) st.lines?.remember(toks, st.cur.w, at);
}

const NO_SPAN: Span = { file: "", line: 0, col: 0, offset: 0, length: 0 };

export function emitInsn(st: AsmState, insn: Insn, span: Span): void {
  const sec = st.cur;
  const width = insn.code === LD_IMM64 ? 16 : 8;
  // A relocated ld_imm64 carries only the low 32 bits of its addend (as llvm-mc writes it).
  const at = sec.w.reserve(width);
  writeInsn(
    sec.w.dataView,
    at,
    insn.symbol !== undefined && width === 16 ? { ...insn, imm64: BigInt.asUintN(32, insn.imm64 ?? 0n) } : insn,
  );
  if (insn.target !== undefined) st.sym(insn.target);
  if (insn.symbol !== undefined) st.sym(insn.symbol);
  if (insn.target !== undefined)
    st.fixups.push({
      section: sec,
      at,
      kind: "jump",
      symbol: insn.target,
      addend: 0n,
      code: insn.code,
      src: insn.src,
      span,
    });
  else if (insn.symbol !== undefined)
    st.fixups.push({
      section: sec,
      at,
      kind: insn.code === LD_IMM64 ? "ld64" : "call",
      symbol: insn.symbol,
      addend: insn.code === LD_IMM64 ? BigInt.asIntN(64, insn.imm64 ?? 0n) : BigInt((insn.imm + 1) * 8),
      span,
    });
}

function resolve(st: AsmState): void {
  for (const sym of st.syms.values()) {
    // as llvm-mc: an undefined name that names a section refers to that section's start
    if (!sym.defined && sym.bind === undefined && st.sections.has(sym.name))
      Object.assign(sym, { defined: true, section: sym.name, value: 0, bind: "local", sectionAlias: true });
  }
  for (const sym of st.syms.values()) if (sym.sizeExpr) sizeOf(st, sym);
  for (const f of st.fixups) {
    if (f.kind === "diff") {
      resolveDiff(st, f);
      continue;
    }
    const sym = st.syms.get(f.symbol) ?? st.sym(f.symbol);
    const w = f.section.w;
    const local = sym?.defined && sym.bind !== "global" && sym.bind !== "weak";
    if (f.kind === "jump" || (f.kind === "call" && local && sym!.section === f.section.name)) {
      if (!sym?.defined) {
        st.diags.push(error(ASM.undefinedSymbol, `undefined label '${f.symbol}'`, f.span));
        continue;
      }
      if (sym.section !== f.section.name) {
        st.diags.push(error(ASM.undefinedSymbol, `label '${f.symbol}' is in another section`, f.span));
        continue;
      }
      const rel = (sym.value + Number(f.addend) - f.at) / 8 - 1;
      if (!Number.isInteger(rel)) {
        st.diags.push(error(ASM.undefinedSymbol, `label '${f.symbol}' is not at an instruction boundary`, f.span));
        continue;
      }
      const inImm = targetInImm(f.code ?? CALL, f.src ?? CALL_KIND.LOCAL);
      if (fieldError(inImm ? "imm" : "off", rel))
        st.diags.push(
          error(
            ASM.jumpRange,
            `jump to '${f.symbol}' is out of range for a ${inImm ? 32 : 16}-bit offset (${rel})`,
            f.span,
          ),
        );
      else if (inImm) w.patchU32(f.at + 4, rel);
      else w.patchU16(f.at + 2, rel);
      continue;
    }
    const type =
      f.kind === "abs32"
        ? data32Type(st, sym)
        : { call: R_BPF_64_32, ld64: R_BPF_64_64, abs64: R_BPF_64_ABS64, jump: 0 }[f.kind];
    let target = f.symbol;
    let addend = f.addend;
    if (local) {
      target = sym!.section!;
      addend += BigInt(sym!.value);
      st.usedSectionSyms.add(target);
    }
    // a call's REL addend is in instructions, minus one (`call sym` holds -1)
    if (f.kind === "call") w.patchU32(f.at + 4, Number(addend / 8n) - 1);
    else if (addend !== 0n || local) writeAddend(w, f, addend);
    f.section.relocs.push({ offset: f.at, type, symbol: target });
  }
}

/** LLVM's rule for `.long sym`: NODYLD32 for code labels (.BTF.ext) and data variables (.BTF). */
function data32Type(st: AsmState, sym: Sym): number {
  if (!sym.defined || sym.section === undefined) return R_BPF_64_ABS32;
  const flags = st.sections.get(sym.section)!.flags;
  const temp = sym.name.startsWith(".L");
  if (temp && flags & SHF_ALLOC && flags & SHF_EXEC) return R_BPF_64_NODYLD32;
  if (!temp && flags & SHF_ALLOC && flags & SHF_WRITE) return R_BPF_64_NODYLD32;
  return R_BPF_64_ABS32;
}

function resolveDiff(st: AsmState, f: Fixup): void {
  let v = 0n;
  let section: string | undefined;
  for (const t of f.terms!) {
    if (t.value !== undefined) {
      v += BigInt(t.sign) * t.value;
      continue;
    }
    const where = st.placeOf(t);
    if (!where)
      return void st.diags.push(error(ASM.undefinedSymbol, `undefined symbol '${t.sym}' in expression`, f.span));
    if (section !== undefined && where.section !== section)
      return void st.diags.push(error(ASM.directive, "label difference across sections", f.span));
    section = where.section;
    v += BigInt(t.sign * where.offset);
  }
  const w = f.section.w,
    u = BigInt.asUintN(64, v);
  if (f.size === 1)
    f.section.bytePatches.push([f.at, Number(u & 0xffn)]); // ByteWriter has no 8-bit patch
  else if (f.size === 2) w.patchU16(f.at, Number(u & 0xffffn));
  else if (f.size === 4) w.patchU32(f.at, Number(u & 0xffffffffn));
  else w.patchU64(f.at, u);
}

function sizeOf(st: AsmState, sym: Sym): void {
  let v = 0n;
  for (const t of sym.sizeExpr!.terms) {
    if (t.value !== undefined) v += BigInt(t.sign) * t.value;
    else if (t.dot) v += BigInt(t.sign * t.dot.offset);
    else {
      const s = st.syms.get(t.sym!);
      if (!s?.defined)
        return void st.diags.push(
          error(ASM.undefinedSymbol, `undefined symbol '${t.sym}' in .size`, sym.sizeExpr!.span),
        );
      v += BigInt(t.sign * s.value);
    }
  }
  sym.size = Number(v);
}

function writeAddend(w: ByteWriter, f: Fixup, addend: bigint): void {
  const u = BigInt.asUintN(64, addend);
  if (f.kind === "ld64") {
    w.patchU32(f.at + 4, Number(u & 0xffffffffn));
    w.patchU32(f.at + 12, 0);
  } else if (f.kind === "abs64") w.patchU64(f.at, u);
  else if (f.kind === "abs32") w.patchU32(f.at, Number(u & 0xffffffffn));
}

function finish(st: AsmState): ElfInput {
  const sections: ElfSectionInput[] = [...st.sections.values()].map((s) => ({
    name: s.name,
    type: s.type,
    flags: s.flags,
    align: s.align,
    data: s.type === SHT.NOBITS ? new Uint8Array(0) : patched(s),
    size: s.type === SHT.NOBITS ? s.nobitsSize : undefined,
    entsize: s.entsize,
    relocs: s.relocs.length ? s.relocs : undefined,
  }));
  return { sections, symbols: symbols(st) };
}

function patched(s: Section): Uint8Array {
  const data = s.w.finish();
  for (const [at, b] of s.bytePatches) data[at] = b;
  return data;
}

function symbols(st: AsmState): ElfSymbolInput[] {
  // llvm-mc's order: the file symbol, then locals, then globals, each in creation order (a section
  // symbol is created with its section).
  const out: ElfSymbolInput[] = [];
  if (st.fileSym !== undefined) out.push({ name: st.fileSym, value: 0, size: 0, type: "file", bind: "local" });
  const isGlobal = (s: Sym) => s.bind === "global" || s.bind === "weak" || !s.defined;
  const locals: { order: number; sym: ElfSymbolInput }[] = [];
  for (const s of st.sections.values())
    if (st.usedSectionSyms.has(s.name))
      locals.push({
        order: s.order,
        sym: { name: s.name, section: s.name, value: 0, size: 0, type: "section", bind: "local" },
      });
  const all = [...st.syms.values()].sort((a, b) => a.order - b.order);
  for (const s of all)
    if (!isGlobal(s) && !s.name.startsWith(".L") && !s.sectionAlias)
      locals.push({ order: s.order, sym: outSym(s, "local") });
  locals.sort((a, b) => a.order - b.order);
  for (const l of locals) out.push(l.sym); // no spread: a big file has 10^5 labels
  for (const s of all)
    if (isGlobal(s) && !isTempUndefined(st, s)) out.push(outSym(s, s.bind === "weak" ? "weak" : "global"));
  return out;
}

/** Undefined names that were only ever used as jump labels (an error elsewhere) or .L temporaries. */
function isTempUndefined(_st: AsmState, s: Sym): boolean {
  return !s.defined && s.name.startsWith(".L");
}

function outSym(s: Sym, b: ElfSymbolInput["bind"]): ElfSymbolInput {
  const out: ElfSymbolInput = {
    name: s.name,
    section: s.defined ? s.section : undefined,
    value: s.defined ? s.value : 0,
    size: s.size ?? 0,
    type: s.type,
    bind: b,
  };
  if (s.visibility) out.visibility = s.visibility;
  return out;
}

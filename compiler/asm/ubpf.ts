// The ubpf assembly dialect (bpf_conformance's `-- asm` sections): takes text such as
// `mov32 %r0, 1`, `ldxw %r0, [%r1+2]`, `jeq %r1, 5, +3`, `lock fetch add [%r10-8], %r1` and
// produces resolved Insn[] (jump labels turned into offsets) plus diagnostics. Mnemonics come
// from the instruction table's `ubpf` names.
import { type Diagnostic, error, inSourceOrder } from "../diagnostics.js";
import type { BuildOptions } from "../build-api.js";
import type { ElfInput } from "../elf/sections.js";
import { CLASS, EXIT, type Insn, LD_IMM64, MODE, insnClass } from "../isa/insn.js";
import { SHF, SHT } from "../abi.js";
import { entryByName, targetInImm, ubpfEntries } from "../isa/lookup.js";
import { encodeInsns, slotIndex } from "../isa/encode.js";
import type { OpEntry } from "../isa/table.js";
import { parseNumber } from "./lexer.js";
import { ASM_CODES as ASM, type AsmCode } from "../codes.js";

type Operand =
  | { kind: "reg"; reg: number; col: number }
  | { kind: "imm"; value: bigint; signed: boolean; col: number }
  | { kind: "mem"; reg: number; off: number; col: number }
  | { kind: "label"; name: string; col: number };

export interface UbpfResult {
  insns: Insn[];
  /** label → instruction index */
  labels: Map<string, number>;
  diagnostics: Diagnostic[];
}

const ALIASES: Record<string, string> = { swap16: "bswap16", swap32: "bswap32", swap64: "bswap64" };

export function parseUbpf(text: string, file: string): UbpfResult {
  const insns: Insn[] = [];
  const labels = new Map<string, number>();
  const diagnostics: Diagnostic[] = [];
  const lines = text.split("\n");
  for (let ln = 0; ln < lines.length; ln++) {
    const at = (col: number, len = 1) => ({ file, line: ln + 1, col, length: len });
    const fail = (code: AsmCode, msg: string, col: number, len?: number) =>
      diagnostics.push(error(code, msg, at(col, len)));
    let line = lines[ln];
    const hash = line.indexOf("#");
    if (hash >= 0) line = line.slice(0, hash);
    const slash = line.indexOf("//");
    if (slash >= 0) line = line.slice(0, slash);
    let pos = 0;
    const skip = () => {
      while (pos < line.length && (line[pos] === " " || line[pos] === "\t" || line[pos] === "\r")) pos++;
    };
    skip();
    // label(s)
    for (;;) {
      const m = /^([A-Za-z_.$][\w.$]*)\s*:/.exec(line.slice(pos));
      if (!m) break;
      if (labels.has(m[1])) fail(ASM.ubpfRedefined, `label '${m[1]}' is already defined`, pos + 1, m[1].length);
      else labels.set(m[1], insns.length);
      pos += m[0].length;
      skip();
    }
    if (pos >= line.length) continue;
    const words: { w: string; col: number }[] = [];
    const readWord = () => {
      const m = /^[A-Za-z_][\w]*/.exec(line.slice(pos));
      if (!m) return undefined;
      const r = { w: m[0], col: pos + 1 };
      pos += m[0].length;
      skip();
      return r;
    };
    let w = readWord();
    if (!w) {
      fail(ASM.ubpfInstruction, `expected an instruction, found '${line.slice(pos).trim()}'`, pos + 1);
      continue;
    }
    words.push(w);
    if (w.w === "lock") {
      const w2 = readWord();
      if (w2) words.push(w2);
      if (w2?.w === "fetch") {
        const w3 = readWord();
        if (w3) words.push(w3);
      }
    } else if (w.w === "call" && /^local\b/.test(line.slice(pos))) {
      words.push(readWord()!);
    }
    const mn = words.map((x) => x.w).join(" ");
    const ops = operands(line.slice(pos), pos + 1);
    if ("error" in ops) {
      fail(ASM.ubpfOperand, ops.error, ops.col);
      continue;
    }
    const r = build(mn, ops);
    if ("error" in r) {
      fail(r.code ?? ASM.ubpfInstruction, r.error, r.col ?? words[0].col, r.col ? undefined : mn.length);
      continue;
    }
    r.span = at(words[0].col, line.trimEnd().length - words[0].col + 1);
    insns.push(r);
  }
  resolveLabels(insns, labels, file, diagnostics);
  return { insns, labels, diagnostics: inSourceOrder(diagnostics) };
}

function operands(s: string, col0: number): Operand[] | { error: string; col: number } {
  const out: Operand[] = [];
  let i = 0;
  const n = s.length;
  while (i < n) {
    while (i < n && /\s/.test(s[i])) i++;
    if (i >= n) break;
    const col = col0 + i;
    let end = i;
    if (s[i] === "[") {
      end = s.indexOf("]", i);
      if (end < 0) return { error: "missing ']'", col };
      const m = /^\[\s*%r(\d+)\s*(?:([+-])\s*(\w+)\s*)?\]$/.exec(s.slice(i, end + 1));
      const v = m?.[3] !== undefined ? parseNumber(m[3]) : 0n;
      if (!m || v === undefined || Number(m[1]) > 10)
        return { error: `invalid memory operand '${s.slice(i, end + 1)}'`, col };
      const off = m[2] === "-" ? -v : v;
      if (off < -32768n || off > 32767n) return { error: "memory offset out of 16-bit range", col };
      out.push({ kind: "mem", reg: Number(m[1]), off: Number(off), col });
      end++;
    } else {
      while (end < n && s[end] !== ",") end++;
      const tok = s.slice(i, end).trim();
      const op = operand(tok, col);
      if ("error" in op) return op;
      out.push(op);
    }
    i = end;
    while (i < n && /\s/.test(s[i])) i++;
    if (i < n) {
      if (s[i] !== ",") return { error: `expected ',' but found '${s[i]}'`, col: col0 + i };
      i++;
    }
  }
  return out;
}

function operand(tok: string, col: number): Operand | { error: string; col: number } {
  let m = /^%r(\d+)$/.exec(tok);
  if (m)
    return Number(m[1]) <= 10 ? { kind: "reg", reg: Number(m[1]), col } : { error: `invalid register '${tok}'`, col };
  m = /^([+-]?)\s*(\w+)$/.exec(tok);
  if (m && /^\d/.test(m[2])) {
    const v = parseNumber(m[2]);
    if (v === undefined) return { error: `invalid number '${tok}'`, col };
    return { kind: "imm", value: m[1] === "-" ? -v : v, signed: m[1] !== "", col };
  }
  if (/^[A-Za-z_.$][\w.$]*$/.test(tok)) return { kind: "label", name: tok, col };
  return { error: `invalid operand '${tok}'`, col };
}

type Built = Insn | { error: string; col?: number; code?: AsmCode };

function pick(mn: string, wantReg: boolean): OpEntry | undefined {
  const list = ubpfEntries.get(ALIASES[mn] ?? mn) ?? ubpfEntries.get(mn.replace(/64$/, ""));
  if (!list) return undefined;
  if (list.length === 1) return list[0];
  return list.find((e) => /%[rw]s/.test(e.asm ?? e.asm32 ?? "") === wantReg) ?? list[0];
}

function imm32(o: Operand): number | { error: string; col: number } {
  if (o.kind !== "imm") return { error: "expected an immediate", col: o.col };
  if (o.value < -(2n ** 31n) || o.value > 2n ** 32n - 1n) return { error: "immediate out of 32-bit range", col: o.col };
  return Number(BigInt.asIntN(32, o.value));
}

function build(mn: string, ops: Operand[]): Built {
  if (mn === "call local") {
    if (ops.length !== 1 || ops[0].kind !== "label") return { error: "expected 'call local <label>'" };
    return { ...base(entryByName("call_local")), target: ops[0].name, imm: -1 };
  }
  // callx: the register goes in dst, as LLVM 19 encodes `callx rN` (LLVM 14 read it from imm)
  if ((mn === "call" || mn === "callx") && ops[0]?.kind === "reg")
    return { ...base(entryByName("callx")), dst: ops[0].reg };
  const wantReg = ops.length >= 2 && ops[1].kind === "reg";
  const e = pick(mn, wantReg);
  if (!e) return { error: `unknown instruction '${mn}'` };
  const i = base(e);
  const cls = insnClass(e.code);
  const expect = (n: number): Built | undefined =>
    ops.length === n ? undefined : { error: `'${mn}' takes ${n} operand${n === 1 ? "" : "s"}, found ${ops.length}` };
  const reg = (o: Operand): number | { error: string; col: number } =>
    o.kind === "reg" ? o.reg : { error: "expected a register", col: o.col };
  const set = (f: "dst" | "src" | "imm", v: number | { error: string; col: number }): Built | undefined => {
    if (typeof v !== "number") return v;
    i[f] = v;
    return undefined;
  };
  if (e.code === LD_IMM64) {
    const bad = expect(2) ?? set("dst", reg(ops[0]));
    if (bad) return bad;
    const o = ops[1];
    if (o.kind !== "imm" || o.value < -(2n ** 63n) || o.value > 2n ** 64n - 1n)
      return { error: "expected a 64-bit immediate", col: o.col };
    i.imm64 = BigInt.asUintN(64, o.value);
    i.imm = Number(BigInt.asIntN(32, o.value));
    return i;
  }
  if (cls === CLASS.ALU || cls === CLASS.ALU64) {
    const unary = e.name.startsWith("neg") || /^(le|be|bswap)\d/.test(e.name);
    if (unary) return expect(1) ?? set("dst", reg(ops[0])) ?? i;
    const bad = expect(2) ?? set("dst", reg(ops[0]));
    if (bad) return bad;
    return (wantReg ? set("src", reg(ops[1])) : set("imm", imm32(ops[1]))) ?? i;
  }
  if (cls === CLASS.LDX) {
    const bad = expect(2) ?? set("dst", reg(ops[0]));
    if (bad) return bad;
    if (ops[1].kind !== "mem") return { error: "expected a memory operand [%rN+off]", col: ops[1].col };
    i.src = ops[1].reg;
    i.off = ops[1].off;
    return i;
  }
  if (cls === CLASS.ST || cls === CLASS.STX) {
    const bad = expect(2);
    if (bad) return bad;
    if (ops[0].kind !== "mem") return { error: "expected a memory operand [%rN+off]", col: ops[0].col };
    i.dst = ops[0].reg;
    i.off = ops[0].off;
    return (cls === CLASS.ST ? set("imm", imm32(ops[1])) : set("src", reg(ops[1]))) ?? i;
  }
  if (cls === CLASS.LD) {
    if ((e.code & 0xe0) === MODE.ABS) return expect(1) ?? set("imm", imm32(ops[0])) ?? i;
    return expect(2) ?? set("src", reg(ops[0])) ?? set("imm", imm32(ops[1])) ?? i;
  }
  // jumps
  if (e.name === "exit") return expect(0) ?? i;
  if (e.name === "call") return expect(1) ?? set("imm", imm32(ops[0])) ?? i;
  if (e.name === "ja" || e.name === "gotol") return expect(1) ?? target(i, ops[0]);
  const bad = expect(3) ?? set("dst", reg(ops[0])) ?? (wantReg ? set("src", reg(ops[1])) : set("imm", imm32(ops[1])));
  return bad ?? target(i, ops[2]);
}

function base(e: OpEntry): Insn {
  return { code: e.code, dst: 0, src: e.src ?? 0, off: e.off ?? 0, imm: e.imm ?? 0 };
}

function target(i: Insn, o: Operand): Built {
  if (o.kind === "label") {
    i.target = o.name;
    return i;
  }
  if (o.kind !== "imm") return { error: "expected a jump target (+N, -N or a label)", col: o.col };
  const inImm = targetInImm(i.code, i.src);
  if (inImm ? o.value < -(2n ** 31n) || o.value >= 2n ** 31n : o.value < -32768n || o.value > 32767n)
    return { error: "jump offset out of range", col: o.col, code: ASM.ubpfJumpRange };
  if (inImm) i.imm = Number(o.value);
  else i.off = Number(o.value);
  return i;
}

/** Resolve label targets into offsets (a jump to an undefined `exit` goes to the first exit). */
function resolveLabels(insns: Insn[], labels: Map<string, number>, file: string, diags: Diagnostic[]): void {
  const slots = slotIndex(insns);
  const firstExit = insns.findIndex((i) => i.code === EXIT);
  for (let k = 0; k < insns.length; k++) {
    const i = insns[k];
    if (i.target === undefined) continue;
    let at = labels.get(i.target);
    if (at === undefined && i.target === "exit" && firstExit >= 0) at = firstExit;
    if (at === undefined) {
      diags.push(error(ASM.ubpfUndefinedLabel, `undefined label '${i.target}'`, i.span ?? { file, line: 0, col: 0 }));
      continue;
    }
    const rel = slots[at] - slots[k] - 1;
    if (targetInImm(i.code, i.src)) i.imm = rel;
    else if (rel < -32768 || rel > 32767)
      diags.push(error(ASM.ubpfJumpRange, `jump to '${i.target}' is out of 16-bit range`, i.span));
    else i.off = rel;
    delete i.target;
  }
}

/** The `-- asm` part of a bpf_conformance .data file. */
export function conformanceAsm(data: string): string {
  const m = /^-- asm[^\n]*\n([\s\S]*?)(?=^-- |(?![\s\S]))/m.exec(data);
  return m ? m[1] : "";
}

const CODE = SHF.ALLOC | SHF.EXECINSTR,
  DATA = SHF.ALLOC | SHF.WRITE;

/** ubpf text → ElfInput: one global program function in `xdp/<name>` (or `xdp`) plus a GPL license. */
export function ubpfToElf(
  text: string,
  file: string,
  opts: BuildOptions,
): { elf?: ElfInput; diagnostics: Diagnostic[] } {
  const r = parseUbpf(text, file);
  if (r.diagnostics.length) return { diagnostics: r.diagnostics };
  const name = (file.split("/").pop() ?? "prog").replace(/\.[^.]*$/, "").replace(/[^A-Za-z0-9_]/g, "_") || "prog";
  const section = opts.sectionStyle === "libbpf" ? "xdp" : `xdp/${name}`;
  const code = encodeInsns(r.insns);
  return {
    diagnostics: [],
    elf: {
      sections: [
        { name: ".text", type: SHT.PROGBITS, flags: CODE, align: 4, data: new Uint8Array(0) },
        { name: section, type: SHT.PROGBITS, flags: CODE, align: 8, data: code },
        { name: "license", type: SHT.PROGBITS, flags: DATA, align: 1, data: new TextEncoder().encode("GPL\0") },
      ],
      symbols: [
        { name, section, value: 0, size: code.length, type: "func", bind: "global" },
        { name: "_license", section: "license", value: 0, size: 4, type: "object", bind: "global" },
      ],
    },
  };
}

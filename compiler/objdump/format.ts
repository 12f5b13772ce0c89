// The objdump printers: take the disassembly model (disasm.ts) and produce llvm-objdump's text
// (`-d`, with `-r` relocations, `-S` BTF source lines, `--no-show-raw-insn`) or a stable JSON.
import { disassemble, type DisasmOptions, type DisInsn, type DisSection } from "./disasm.js";

export interface ObjdumpOptions extends DisasmOptions {
  relocs?: boolean; // -r
  source?: boolean; // -S
  rawInsn?: boolean; // default true; --no-show-raw-insn sets false
}

const hex16 = (n: number) => n.toString(16).padStart(16, "0");
const HEX = Array.from({ length: 256 }, (_, x) => x.toString(16).padStart(2, "0"));
function hexBytes(b: Uint8Array): string {
  let s = HEX[b[0]];
  for (let k = 1; k < b.length; k++) s += " " + HEX[b[k]];
  return s;
}

/** The llvm-objdump -d listing of an object, `file` as the user named it. */
export function formatObjdump(bytes: Uint8Array, file: string, opts: ObjdumpOptions = {}): string {
  const { sections } = disassemble(bytes, opts);
  const out: string[] = ["", `${file}:\tfile format elf64-bpf`];
  for (const s of sections) {
    out.push("");
    formatSection(s, opts, out);
  }
  return out.join("\n") + "\n";
}

/** Appends the section's lines to `out` (no spread: a section may hold 10^5+ instructions). */
function formatSection(s: DisSection, opts: ObjdumpOptions, out: string[]): void {
  out.push(`Disassembly of section ${s.name}:`);
  let lastSource: string | undefined;
  for (const i of s.insns) {
    if (i.symbol) {
      out.push("", `${hex16(i.symbol.addr)} <${i.symbol.name}>:`);
      lastSource = undefined;
    }
    if (opts.source && i.source && i.source.text.trim() && i.source.text !== lastSource) {
      out.push(`; ${i.source.text}`);
      lastSource = i.source.text;
    }
    out.push(formatInsn(i, opts));
    if (opts.relocs) for (const r of i.relocs) out.push(`\t\t${hex16(r.offset)}:  ${r.type}\t${r.symbol}`);
  }
}

function formatInsn(i: DisInsn, opts: ObjdumpOptions): string {
  const addr = `${String(i.slot).padStart(8)}:\t`;
  const raw = opts.rawInsn === false ? "" : `${hexBytes(i.bytes)}\t`;
  return `${addr}${raw}${i.text}${i.target ? ` ${i.target}` : ""}`;
}

/** A stable JSON description: sections, their symbols and instructions (one object per instruction). */
export function objdumpJson(bytes: Uint8Array, file: string, opts: ObjdumpOptions = {}): string {
  const { elf, sections } = disassemble(bytes, opts);
  const doc = {
    file,
    format: "elf64-bpf",
    sections: elf.sections.slice(1).map((s) => ({ index: s.index, name: s.name, type: s.type, flags: s.flags, size: s.size })),
    symbols: elf.symbols.slice(1).map((s) => ({ name: s.name, section: s.shndx < elf.sections.length ? elf.sections[s.shndx].name : null, value: s.value, size: s.size, type: s.type, bind: s.bind })),
    disassembly: sections.map((s) => ({
      section: s.name,
      instructions: s.insns.map((i) => ({
        slot: i.slot,
        ...(i.symbol ? { symbol: i.symbol.name } : {}),
        bytes: hexBytes(i.bytes),
        text: i.text,
        ...(i.target ? { target: i.target.slice(1, -1) } : {}),
        ...(i.relocs.length ? { relocs: i.relocs } : {}),
        ...(i.source ? { source: i.source } : {}),
      })),
    })),
  };
  return JSON.stringify(doc, null, 2) + "\n";
}

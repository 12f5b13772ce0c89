// The objdump printers: take the disassembly model (disasm.ts) and produce llvm-objdump's text
// (`-d`, with `-r` relocations, `-S` BTF source lines, `--no-show-raw-insn`) or a stable JSON.
import { disassemble, planSections, walkSection, type DisasmOptions, type WalkStep } from "./disasm.js";

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
  const out: string[] = [];
  writeObjdump(bytes, file, opts, (s) => out.push(s));
  return out.join("");
}

const CHUNK = 1 << 16;

/**
 * The same listing, handed to `write` in chunks of about 64 KiB as it is produced (a section may
 * hold 10^5+ instructions). Malformed input throws ElfFormatError before anything is written.
 */
export function writeObjdump(bytes: Uint8Array, file: string, opts: ObjdumpOptions, write: (s: string) => void): void {
  const { plans } = planSections(bytes, opts);
  let buf = `\n${file}:\tfile format elf64-bpf\n`;
  for (const p of plans) {
    buf += `\nDisassembly of section ${p.name}:\n`;
    let lastSource: string | undefined;
    walkSection(p, opts, (i) => {
      if (i.symbol) {
        buf += `\n${hex16(i.symbol.addr)} <${i.symbol.name}>:\n`;
        lastSource = undefined;
      }
      if (opts.source && i.source && i.source.text !== lastSource && i.source.text.trim()) {
        buf += `; ${i.source.text}\n`;
        lastSource = i.source.text;
      }
      buf += formatInsn(p.data, i, opts);
      if (opts.relocs) for (let k = i.relocFrom; k < i.relocTo; k++) buf += `\t\t${hex16(p.relocs[k].offset)}:  ${p.relocs[k].type}\t${p.relocs[k].symbol}\n`;
      if (buf.length >= CHUNK) {
        write(buf);
        buf = "";
      }
    });
  }
  write(buf);
}

const PAD = ["", " ", "  ", "   ", "    ", "     ", "      ", "       "];

/** `     123:\t<raw bytes>\t<text> <target>\n` */
function formatInsn(data: Uint8Array, i: WalkStep, opts: ObjdumpOptions): string {
  const a = String(i.slot);
  let s = a.length < 8 ? PAD[8 - a.length] + a + ":\t" : a + ":\t";
  if (opts.rawInsn !== false) {
    s += HEX[data[i.start]];
    for (let k = i.start + 1; k < i.end; k++) s += " " + HEX[data[k]];
    s += "\t";
  }
  s += i.text;
  return i.target ? s + " " + i.target + "\n" : s + "\n";
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

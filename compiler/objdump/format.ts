// The objdump printers: take the disassembly model (disasm.ts) and produce llvm-objdump's text
// (`-d`, with `-r` relocations, `-S` BTF source lines, `--no-show-raw-insn`) or a stable JSON.
import { disassemble, planSections, walkSection, type DisasmOptions } from "./disasm.js";
import { ByteOut } from "./out.js";

export interface ObjdumpOptions extends DisasmOptions {
  relocs?: boolean; // -r
  source?: boolean; // -S
  rawInsn?: boolean; // default true; --no-show-raw-insn sets false
}

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

/**
 * The same listing, handed to `write` in chunks of about 64 KiB as it is produced (a section may
 * hold 10^5+ instructions). Malformed input throws ElfFormatError before anything is written.
 */
export function writeObjdump(bytes: Uint8Array, file: string, opts: ObjdumpOptions, write: (s: string) => void): void {
  const { plans } = planSections(bytes, opts);
  const o = new ByteOut(write);
  const hex = !!opts.hex,
    raw = opts.rawInsn !== false;
  o.text(`\n${file}:\tfile format elf64-bpf\n`);
  for (const p of plans) {
    o.text(`\nDisassembly of section ${p.name}:\n`);
    let lastSource: string | undefined;
    walkSection(p, opts, (i) => {
      if (i.symbol) {
        o.byte(10);
        o.hex16(i.symbol.addr);
        o.text(` <${i.symbol.name}>:\n`);
        lastSource = undefined;
      }
      if (opts.source && i.source && i.source.text !== lastSource && i.source.text.trim()) {
        o.text(`; ${i.source.text}\n`);
        lastSource = i.source.text;
      }
      // `     123:\t<raw bytes>\t<text> <target>`
      o.padded(i.slot, 8);
      o.text(":\t");
      if (raw) {
        o.hexBytes(p.data, i.start, i.end);
        o.byte(9);
      }
      if (i.printer === null) o.text("<unknown>");
      else i.printer.emit(o, i.insn, hex);
      if (i.target) {
        o.byte(32);
        o.text(i.target);
      }
      o.byte(10);
      if (opts.relocs)
        for (let k = i.relocFrom; k < i.relocTo; k++) {
          o.text("\t\t");
          o.hex16(p.relocs[k].offset);
          o.text(`:  ${p.relocs[k].type}\t${p.relocs[k].symbol}\n`);
        }
      o.flush();
    });
  }
  o.flush(true);
}

/** A stable JSON description: sections, their symbols and instructions (one object per instruction). */
export function objdumpJson(bytes: Uint8Array, file: string, opts: ObjdumpOptions = {}): string {
  const { elf, sections } = disassemble(bytes, opts);
  const doc = {
    file,
    format: "elf64-bpf",
    sections: elf.sections
      .slice(1)
      .map((s) => ({ index: s.index, name: s.name, type: s.type, flags: s.flags, size: s.size })),
    symbols: elf.symbols.slice(1).map((s) => ({
      name: s.name,
      section: s.shndx < elf.sections.length ? elf.sections[s.shndx].name : null,
      value: s.value,
      size: s.size,
      type: s.type,
      bind: s.bind,
    })),
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

// `tsebpf objdump <file.o>`: an llvm-objdump-style listing of a BPF object (default: as
// `llvm-objdump-19 -d --no-print-imm-hex`, which is llvm-objdump-14 -d wherever LLVM 14 decodes the
// instruction; --print-imm-hex as llvm-objdump-19 -d). Imports only the ELF reader, the ISA
// decoder/printer and the objdump formatter — never the DSL. Bad input: one line, exit 1.
import type { Command } from "commander";
import type { Io } from "../io.js";
import { InFile } from "../errors.js";
import { readUserFile } from "../../loader/files.js";
import { readElf } from "../../compiler/elf/read-elf.js";
import { objdumpJson, writeObjdump, type ObjdumpOptions } from "../../compiler/objdump/format.js";

interface Flags {
  printImmHex?: boolean;
  reloc?: boolean;
  source?: boolean;
  showRawInsn: boolean;
  section?: string;
  json?: boolean;
  disassemble?: boolean;
}

export function register(program: Command, io: Io, _setExit: (code: number) => void): void {
  program
    .command("objdump")
    .description("disassemble a BPF object file like llvm-objdump -d")
    .argument("<file>", "ELF object (.o)")
    .option("-d, --disassemble", "disassemble executable sections (the default)")
    .option("--print-imm-hex", "print immediates in hex (llvm-objdump 19 style)")
    .option("-r, --reloc", "show relocations inline")
    .option("-S, --source", "show source lines from BTF line info")
    .option("--no-show-raw-insn", "do not print the instruction bytes")
    .option("-j, --section <name>", "only this section")
    .option("--json", "print a JSON description instead of the listing")
    .action((file: string, f: Flags) => {
      const bytes = readUserFile(file);
      const opts: ObjdumpOptions = {
        hex: !!f.printImmHex,
        relocs: !!f.reloc,
        source: !!f.source,
        rawInsn: f.showRawInsn,
        section: f.section,
      };
      try {
        if (f.json) io.stdout(objdumpJson(bytes, file, opts));
        else writeObjdump(bytes, file, opts, io.stdout);
        if (f.section !== undefined && !readElf(bytes).sections.some((s) => s.name === f.section))
          io.stderr(`tsebpf: warning: section '${f.section}' mentioned in -j/--section was not found in ${file}\n`);
      } catch (e) {
        throw new InFile(file, e);
      }
    });
}

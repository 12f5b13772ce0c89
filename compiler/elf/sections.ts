// The generic relocatable-ELF input: sections, symbols, relocations. The assembler produces it
// directly; the BPF object builder lowers a BpfObjectInput to it; compiler/elf/write-elf.ts writes it.
export interface ElfSymbolInput {
  name: string;
  /** Section name; undefined for an undefined (external) symbol. */
  section?: string;
  value: number;
  size: number;
  type: "notype" | "object" | "func" | "section" | "file";
  bind: "local" | "global" | "weak";
  visibility?: "default" | "hidden";
}

export interface ElfRelocInput {
  offset: number; // byte offset in the section
  type: number; // R_BPF_64_64 = 1, R_BPF_64_ABS64 = 2, R_BPF_64_ABS32 = 3, R_BPF_64_NODYLD32 = 4, R_BPF_64_32 = 10
  symbol: string; // name of an ElfSymbolInput (a section symbol is named after its section)
}

export interface ElfSectionInput {
  name: string;
  type: number; // SHT_PROGBITS = 1, SHT_NOBITS = 8, ...
  flags: number; // SHF_WRITE 1, SHF_ALLOC 2, SHF_EXECINSTR 4, SHF_MERGE 0x10, SHF_STRINGS 0x20
  align: number;
  data: Uint8Array; // for SHT_NOBITS: zero-length, see `size`
  size?: number; // SHT_NOBITS size
  entsize?: number;
  relocs?: ElfRelocInput[];
}

export interface ElfInput {
  sections: ElfSectionInput[];
  symbols: ElfSymbolInput[];
}
